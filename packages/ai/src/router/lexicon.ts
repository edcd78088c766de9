/**
 * Cue lists for the complexity classifier. Each is one case-insensitive regular expression over
 * the message, matched on word boundaries. They are deliberately about the *request* (what the
 * person asks the assistant to do, what is at stake for them), not about the business domain:
 * "where is your privacy policy" is a lookup even though privacy is a legal topic.
 */
const words = (list: string): RegExp =>
  new RegExp(
    `(?<![\\p{L}\\p{N}])(?:${list
      .trim()
      .split(/\s*\n\s*|\s*\|\s*/)
      .filter(Boolean)
      .join('|')})(?![\\p{L}\\p{N}])`,
    'iu',
  );

/** Life, health or safety at risk now: always the strongest model. */
export const EMERGENCY = words(String.raw`
  chest (?:pain|hurts?|tight\w*|pressure) | (?:can'?t|cannot|hard to|trouble) breath\w* | short(?:ness)? of breath
  | numb(?:ness)? | slurred | fainted | faint(?:ing)? | passed out | unconscious | seizure\w* | stroke
  | overdos\w* | too many (?:pills|tablets) | poison\w* | anaphyla\w* | (?:throat|tongue|lips?|face) (?:is |are )?swell\w*
  | suicid\w* | kill (?:myself|me) | self[- ]?harm | hurt(?:ing)? myself | end (?:it all|my life) | want to die
  | bleeding (?:heavily|a lot|won'?t stop) | won'?t stop bleeding | (?:it'?s an?|this is an?|medical|having an?) emergency | call (?:911|999|112|an ambulance)
  | someone (?:is |has )?(?:in|into|accessed|logged into|using) my account | (?:account|accounts) (?:was |has been |is )?(?:hacked|compromised|taken over)
  | i(?:'ve| have)? been hacked | ransomware | data breach | (?:breach|leak)(?:ed)? (?:of )?(?:customer|personal|patient) data
  | production (?:database |db )?(?:is )?(?:down|corrupt\w*|wiped|deleted) | (?:corrupt\w*|deleted|dropped|lost) (?:the |our )?(?:production|prod) | data loss
`);

/** Topics where a wrong answer can do real harm; they matter when the person's own situation is at stake. */
export const HIGH_STAKES = words(String.raw`
  symptoms? | diagnos\w* | dos(?:e|es|age|ing) | \d+\s?mg | medication\w* | medicines? | pills? | tablets? | prescri\w* | antibiotic\w*
  | ibuprofen | paracetamol | acetaminophen | aspirin | insulin | warfarin | opioid\w* | side effects? | interact\w* | allerg\w*
  | pregnan\w* | breastfeed\w* | fever | rash | dizz\w* | vomit\w* | infection | lump | blood pressure | heart rate | migraine
  | pain | bleed\w* | injur\w* | mental health | depress\w* | anxiety | panic attack
  | sue | suing | lawsuit | legal action | lawyer | attorney | solicitor | liab(?:le|ility) | court | tribunal | litigation
  | enforceable | breach of contract | indemni\w* | non[- ]?compete | wrongful\w* | dismiss(?:al|ed) | fired | terminat(?:ed|ion) of (?:my|employment)
  | discriminat\w* | harass\w* | retaliat\w* | whistleblow\w* | defamation | copyright infringement | subpoena | gdpr (?:breach|violation|complaint)
  | data protection authority | regulator | compliance (?:violation|breach) | report (?:the|a) breach | notify (?:the )?(?:regulator|authorit\w*)
  | fraud\w* | scam\w* | stolen | unauthori[sz]ed (?:charges?|transactions?|payments?|access|login) | phishing | identity theft | chargeback
  | tax(?:es)? (?:liabilit\w*|implications?|deduct\w*|return|owed)| invest(?:ing|ment)? (?:my|our)? (?:savings|pension|retirement) | retirement | pension | mortgage
  | bankrupt\w* | debt collect\w* | garnish\w* | lien
  | suspicious (?:login|activity|email|charges?) | compromised | hacked | malware | virus | leaked (?:credentials|passwords?|keys?|api keys?)
  | restore (?:from )?backup | rollback (?:the )?(?:production|prod) | outage | downtime (?:for|in) production
`);

/** The person asks about their own situation or for a decision, not for a general fact. */
export const PERSONAL_STAKES = words(String.raw`
  i | i'?m | i'?ve | i'?d | me | my | mine | we | we'?re | our | us | myself | my (?:son|daughter|child|kid|baby|wife|husband|partner|mother|father|mum|mom|dad)
`);
export const ADVICE = words(String.raw`
  should (?:i|we) | can (?:i|we) | could (?:i|we) | do (?:i|we) (?:have to|need to) | is it (?:safe|ok(?:ay)?|legal|allowed|normal)
  | what (?:should|do) (?:i|we) do | am i (?:allowed|entitled|liable|covered|at risk) | are we (?:liable|allowed|required) | will (?:i|we) (?:be|get)
  | legally | right to | entitled | worried | scared | urgent\w* | asap | right now | immediately | help me
`);

/** Asking for reasoning: compare, explain, decide, plan, calculate. */
export const REASONING = words(String.raw`
  why | explain\w* | compar\w* | difference between | differences | vs\.? | versus | pros and cons | trade-?offs? | better (?:for|option|choice|fit)
  | which (?:one|plan|option|tier|is best|would|should) | recommend\w* | best (?:way|approach|option|plan|practice\w*) | advis\w* | suggest\w*
  | analy[sz]\w* | evaluat\w* | assess\w* | implications? | impact | strateg\w* | plan (?:for|to|out) | roadmap | optimi[sz]\w* | how does .{1,40} work
  | what (?:would )?happens? (?:if|when) | what if | if (?:i|we) .{1,60} (?:would|will|then|does|do) | in (?:my|our) case | depends | worth it
  | calculat\w* | estimat\w* | how much (?:would|will|does it cost|do i owe|would i)| pro[- ]?rat\w* | total cost | per seat | break[- ]?even | forecast\w*
  | troubleshoot\w* | debug\w* | diagnos(?:e|ing) (?:the|an|this) | root cause | doesn'?t work | not working | isn'?t working | keeps? (?:failing|crashing|timing out)
  | fails? (?:with|when) | still (?:fails|failing|broken|not) | tried everything | migrat\w* | integrat\w* | architect\w* | scal(?:e|ing) (?:to|up|out)
  | draft\w* | write (?:me |us )?(?:a|an|the) | rewrite | summari[sz]e (?:the|this|our) | policy for | configure .{1,30} (?:so|to|for)
`);

/** A request to follow or produce several steps. */
export const MULTI_STEP = words(String.raw`
  step[- ]by[- ]step | walk (?:me|us) through | and then | after that | first .{1,80} then | set up .{1,60} and | steps to | checklist
  | end[- ]to[- ]end | workflow | process for | both .{1,40} and | as well as | also (?:need|want|how|what|can)
`);

/** Code, configuration, errors and APIs. */
export const CODE = words(String.raw`
  api | apis | sdk | webhooks? | endpoints? | json | yaml | xml | csv import | regex | sql | query (?:to|that) | script\w* | cli
  | curl | oauth | saml | scim | sso (?:config\w*|setup|integration) | jwt | tokens? (?:expire\w*|refresh) | cors | dns | cname | ssl | tls | certificate
  | stack ?trace | traceback | exception | error code | status code | 4\d\d | 5\d\d | null ?pointer | undefined is not | timeout error
  | function | variable | python | javascript | typescript | node(?:\.?js)? | java | golang | terraform | kubernetes | k8s | docker | helm | nginx | postgres\w* | mysql
  | rate limit\w* | pagination | idempoten\w* | schema | migration script | cron | bash | powershell
`);

/** Syntax that only appears in code or logs. */
export const CODE_SYNTAX =
  /```|`[^`]+`|=>|\{\s*"?\w+"?\s*:|\w+\([^)]*\)\s*[;{]|^\s*at \S+ \(|\b(?:SELECT|INSERT|UPDATE|DELETE)\b .+\b(?:FROM|INTO|SET|WHERE)\b|\b[A-Z][a-zA-Z]+(?:Error|Exception)\b|\b[a-z]+_[a-z_]+\b|\$\s*\w+\s*=|<\/?[a-z]+[^>]*>/m;

/** Greetings, thanks and farewells: the cheapest model, whatever came before. */
export const SMALL_TALK =
  /^\s*(?:hi|hello|hey|hiya|yo|good (?:morning|afternoon|evening)|thanks?(?: you)?(?: so much| very much| a lot)?|thank you|thx|ty|cheers|ok(?:ay)?|great|perfect|awesome|cool|bye|goodbye|see you|that'?s all|got it)(?:[\s,!.]+(?:thanks?|thank you|that'?s all|that'?s it|for (?:your|the) help|bye|all good|again|there|team|so much|a lot|very much|mate|folks))*[\s!.,:)]*$/i;

/** A short follow-up that leans on the conversation before it. */
export const FOLLOW_UP = words(String.raw`
  it | that | this | those | these | them | they | one | another | again | more | same | instead | then | also | too | what about | how about | and if | and for
`);
