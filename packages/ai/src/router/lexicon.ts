/**
 * Cue lists for the complexity classifier. Each is one case-insensitive regular expression over
 * the message, matched on word boundaries; items are separated by ` | ` (spaces on both sides)
 * or new lines, so alternations inside an item keep their spacing. They describe the *request*
 * (what the person asks for, what is at stake for them), not the business domain: "where is your
 * privacy policy" is a lookup even though privacy is a legal topic.
 */
const words = (list: string): RegExp =>
  new RegExp(
    `(?<![\\p{L}\\p{N}])(?:${list
      .split(/\s+\|\s+|\n/)
      .map((s) => s.trim())
      .filter(Boolean)
      .join('|')})(?![\\p{L}\\p{N}])`,
    'iu',
  );

/** Life, health, safety or an account at risk right now: always the strongest model. */
export const EMERGENCY = words(String.raw`
  chest (?:pain|hurts?|tight\w*|pressure) | (?:crushing|tight\w*) (?:pain|pressure) | (?:can'?t|cannot|hard to|trouble|struggling to) breath\w* | short(?:ness)? of breath
  numb(?:ness)? | slurred | fainted | passed out | unconscious | unresponsive | seizure\w* | stroke | overdos\w* | too (?:many|much) (?:pills|tablets|medicine)
  poison\w* | swallowed | (?:took|taken|swallowed) (?:a lot|too many|too much|all|a bunch) of (?:my |the |his |her )?(?:pills|tablets|medication|meds) | anaphyla\w* | (?:throat|tongue|lips?|face) (?:is |are )?(?:swell\w*|closing) | coughing up blood | blood in (?:my|his|her) | head injury | hit (?:my|his|her) head
  suicid\w* | kill (?:myself|me) | self[- ]?harm | hurt(?:ing)? myself | end(?:ing)? (?:it all|my life|it) | want to die | better off without me | (?:don'?t|do not) see the point | no (?:point|reason) (?:in )?(?:living|anything|going on)
  (?:it'?s an?|this is an?|medical|having an?) emergency | call (?:911|999|112|an ambulance)
  someone (?:else )?(?:is |has |was )?(?:in|into|accessed|logged into|using|took over) (?:my|our) (?:account|login|card|saved card) | (?:account|accounts|login|email) (?:was |has been |is |got )?(?:hacked|compromised|taken over)
  (?:i|we)(?:'ve| have)? been hacked | ransomware | (?:didn'?t|did not|never) (?:write|send|place|make|order|authori[sz]e|approve|request) | not me
  (?:login|log-?in|sign-?in|session)s? from (?:an? )?(?:unknown|unrecogni[sz]ed|strange|different|another|new) | (?:a|an|new|strange) (?:login|log-?in|sign-?in)s? from | (?:nobody|no one|don'?t|do not) (?:here )?recogni[sz]e
  (?:clicked|opened|followed) (?:on )?(?:a|an|the) (?:\w+ )?(?:link|attachment) | (?:typed|entered|put) (?:in )?my (?:\w+ )?(?:password|credentials|login|code) | (?:mfa|2fa|push|okta|duo) (?:spam|bombing|prompts|notifications|requests) | approved (?:one|a (?:push|prompt|request))
  (?:lost|left|stolen|misplaced) (?:my |our |a )?(?:work |company )?(?:laptop|macbook|badge) | (?:laptop|phone|device) (?:was |got )?stolen
  (?:prod|production|live) (?:\w+ ){0,3}(?:is |went |has gone )?(?:down|corrupt\w*|wiped|deleted|won'?t start|not starting|crash\w*) | (?:corrupt\w*|deleted|dropped|lost|wiped) (?:\w+ ){0,3}(?:in )?(?:production|prod) | quorum (?:lost|loss) | data loss | (?:database|db|postgres\w*|mysql|cluster) (?:won'?t|will not|doesn'?t|does not|can'?t) (?:start|boot|come back|recover)
  gas leak | smell (?:of )?gas | carbon monoxide | (?:there'?s a|is on|on) fire | smoke (?:coming|everywhere) | electric(?:al)? shock | chemical (?:spill|exposure|burn|splash) | exposed to (?:asbestos|chemicals?|fumes|radiation)
  trapped | flood(?:ed|ing) (?:in )?(?:my|our|the) (?:home|house|flat|apartment|basement) | evict\w* | homeless | nowhere to (?:sleep|stay|live) | domestic (?:violence|abuse) | abus(?:e|ed|ing|ive) | stalk\w* | unsafe (?:at home|to go home)
  arrested | (?:served|being served) (?:with )?(?:papers|a summons|summons) | summons | sent (?:money|\$?\d[\d,.]*k?) (?:\w+ ){0,4}(?:scam\w*|fraud\w*|wrong account)
  (?:api |secret |aws |access |private )?(?:keys?|tokens?|secrets?|credentials?) (?:was |were |got |has been |have been )?(?:leaked|exposed|committed|pushed|posted|published) | (?:leaked|exposed|committed|pushed|posted) (?:an? |our |my |the )?(?:api |secret |aws |access |private )?(?:keys?|tokens?|secrets?|credentials?)
  security (?:vulnerability|hole|incident) | vulnerability in | (?:injured|hurt) at work | (?:accident|injury) at work | workplace (?:injury|accident) | missed (?:a|my|his|her) dose | double dose | took (?:two|2|double|an extra)
  (?:car |road |traffic )?(?:crash|collision) | (?:had|been in|just had) an? (?:accident|crash|collision) | hard shoulder | broken down on (?:the )?(?:motorway|highway) | brakes? (?:failed|failing|warning|light|feel\w*|spongy|not working) | spongy | airbag | do not drive | (?:smell of )?burning smell | smoke (?:from|coming)
  section 21 | possession (?:hearing|order) | bailiffs? | eviction (?:notice|letter) | (?:water|leak\w*) (?:\w+ ){0,4}(?:light fitting|electrics|socket|fuse ?box) | ceiling (?:is )?(?:bulging|collaps\w*|sagging) | sparking
  no (?:heat|heating|power|electricity|gas)\b.{0,60}(?:freezing|cold|baby|elderly|old|shivering|\d{2} ?(?:years?|yrs?) old) | (?:freezing|shivering|hypotherm\w*) | (?:only )?[£$€]\s?\d+ left | can'?t afford (?:food|to eat|rent|nappies|diapers|heating) | no (?:food|money) (?:left|for food)
  (?:read out|gave|give|told|shared) (?:them |him |her |the caller )?(?:the |my )?(?:code|pin|one[- ]time code|passcode|security code) | (?:entered|filled in|typed|put in) .{0,40}(?:card details|bank login|bank details|card number) | paid (?:\w+ ){0,3}link
  new device (?:logged in|added|signed in) | payee (?:was |has been )?added | (?:esim|sim) .{0,30}(?:activated|swapped|moved|ported) | (?:didn'?t|did not) (?:do|request|ask for) (?:this|that|it)
  (?:dog|cat|puppy|kitten|pet) (?:\w+ ){0,3}(?:ate|eaten|swallowed) | ate (?:\w+ ){0,4}(?:chocolate|grapes|raisins|xylitol|rat poison|antifreeze|lilies|onions?|tablets|pills) | nothing comes out | can'?t (?:pee|wee|urinate)
  (?:want|need) (?:it all|everything|it) to (?:stop|end) | i know where .{1,40} lives? | (?:i'?ll|i will|going to|gonna) (?:hurt|kill|get|find) (?:her|him|them|you)
  police | law enforcement | subpoena | warrant | court order | (?:changed|new) (?:their |our |its )?bank (?:details|account|accounts|info) | changed banks
`);

/** Harm to the person: symptoms and medicines, disputes, fraud. Their own situation makes it critical. */
export const HARM = words(String.raw`
  symptoms? | diagnos\w* | dos(?:e|es|age|ing) | \d+\s?(?:mg|ml|mcg) | side effects? | interact\w* | allerg\w* | reaction
  pregnan\w* | breastfeed\w* | fever | rash | dizz\w* | vomit\w* | diarrh\w* | infection | infected | lump | blood pressure | heart (?:rate|racing|palpitations) | palpitations | migraine
  pain | painful | hurts? | bleed\w* | bruis\w* | injur\w* | swollen | swelling | sprain\w* | fracture\w* | burn(?:ed|t)? (?:my|his|her) | depress\w* | anxiety | panic attacks?
  ibuprofen | paracetamol | acetaminophen | tylenol | advil | motrin | aspirin | naproxen | insulin | warfarin | metformin | lisinopril | amoxicillin | antibiotic\w* | opioid\w* | codeine | tramadol | oxycodone | nitroglycerin | metronidazole | sertraline | ssri\w* | benzodiazepine\w* | melatonin | antihistamine\w* | steroid\w* | inhaler | epipen | calpol | nurofen | benadryl | zyrtec | claritin | piriton | loratadine | cetirizine | omeprazole | prednis\w+ | ciprofloxacin | doxycycline | fluoxetine | citalopram | diazepam | lorazepam | alprazolam | xanax | valium | adderall | ritalin | methylphenidate | gabapentin | pregabalin | morphine | fentanyl | (?:morning[- ]after|contraceptive) pill
  sue | suing | lawsuit | legal action | lawyer | attorney | solicitor | tribunal | litigation | wrongful\w* | dismiss(?:al|ed) | fired | let go | laid off | demoted
  discriminat\w* | harass\w* | retaliat\w* | whistleblow\w* | defamation | bull(?:y|ied|ying) | grabbed | touched me | threaten\w* | assault\w* | hostile | commenting on my (?:body|appearance) | ask(?:ed|ing|s)? me out
  fraud\w* | scam\w* | stolen | unauthori[sz]ed | identity theft | chargeback | phished
`);

/** Consequential decisions: critical when the person asks what to do. */
export const DECISION = words(String.raw`
  tax(?:es)? | taxable | invest\w* | retirement | pension | 401\(?k\)? | ira | mortgage | loan | debt | bankrupt\w* | stock options? | isos? | nsos? | rsus? | exercise (?:my|the|all|them|early) | early exercise | 83\(b\) | vested | capital gains | amt
  terminat\w* (?:\w+ ){0,4}(?:contract|agreement|msa|lease|employment|early) | terminat(?:e|ing) now | get out of (?:the|our|my|this) (?:contract|agreement|lease) | walk away from | break (?:the|our|my) (?:contract|lease|agreement) | breach\w* | liab(?:le|ility) | indemni\w* | enforceable | non[- ]?compete | non[- ]?solicit\w* | severance | settlement
  gdpr | hipaa | data protection | regulator\w* | notify (?:the )?(?:authorit\w*|regulator|customers|users) | notification (?:duty|obligation\w*|deadline) | legally | legal obligation\w* | compliance | visa | immigration | custody | divorce
  phishing | malware | virus | leaked | exposed (?:keys?|credentials|passwords?|data) | suspicious
`);

/** The person asks about their own situation. */
export const PERSONAL = words(`
  i | i'?m | i'?ve | i'?d | me | my | mine | myself | we | we'?re | our | us | (?:my|our) (?:son|daughter|child|kid|baby|toddler|wife|husband|partner|mother|father|mum|mom|dad)
`);

/** The person asks what to do, or whether something is safe or allowed. */
export const ADVICE = words(String.raw`
  should (?:i|we|he|she|they) | can (?:i|we) (?:still )?(?:take|give|mix|use|sue|claim|terminate|deduct|exercise|refuse|be|get out|walk|stop) | could (?:i|we) | do (?:i|we) (?:have to|need to|owe)
  is (?:it|that|this) (?:even )?(?:safe|ok(?:ay)?|legal|allowed|normal|dangerous|serious|bad|enforceable) | (?:safe|dangerous) to | what (?:should|do|can) (?:i|we) do | what are (?:my|our) options | (?:my|our) rights
  am i (?:allowed|entitled|liable|covered|at risk|eligible) | are we (?:liable|allowed|required|obliged) | will (?:i|we) (?:be|get|lose|owe) | how (?:much|many) .{0,25}(?:can|should) (?:i|we|he|she)
  (?:is|are) (?:[\w'-]+ ){0,10}(?:enforceable|legal|allowed|safe|ok|okay|dangerous) | how (?:much|many|often) | am i (?:in trouble|going to (?:jail|prison)|being scammed) | is this (?:a scam|legit|real) | was that (?:you|real|legit) | legally | entitled | worried | scared | urgent\w* | asap | right now | immediately | as we speak
`);

/** Asking for reasoning: compare, explain, decide, plan, calculate, diagnose. */
export const REASONING = words(String.raw`
  why | explain\w* | compar\w* | difference between | differences | vs\.? | versus | pros and cons | trade-?offs? | better (?:for|option|choice|fit|off)
  which (?:one|plan|option|tier|is best|would|should|works|makes) | recommend\w* | best (?:way|approach|option|plan|practice\w*|order) | advis\w* | suggest\w*
  analy[sz]\w* | evaluat\w* | assess\w* | implications? | strateg\w* | plan (?:for|to|out) | roadmap | optimi[sz]\w* | how does .{1,40} work | how (?:do|can|should) (?:i|we) (?:fix|prevent|make sure|handle|approach|structure|design)
  calculat\w* | estimat\w* | pro[- ]?rat\w* | total cost | break[- ]?even | forecast\w* | cheaper | more expensive | worth (?:it|paying) | work(?:s)? out | makes? (?:more )?sense | accru\w* | eligib\w*
  if (?:i|we) [\w' -]{1,60}(?:do|does|would|will|can|could|should) (?:i|we|it|they|that) | (?:does|do|would|will|is|am|are) (?:[\w'-]+ ){0,6}(?:still )?(?:apply|qualify|covered|count) | \w+ or \w+ (?:for|if|when) (?:a|an|my|our|we|i)
  worth (?:it|paying|claiming|\w+ing) | which (?:is|would be|one is) (?:the )?(?:cheapest|best|quickest|fastest|better) | what are (?:my|our|the) options | should (?:i|we) [\w' -]{1,50} or | (?:or|and) will it | or something (?:worse|else|serious)
  troubleshoot\w* | debug\w* | root cause | migrat\w* | architect\w* | draft\w* | write (?:me |us )?(?:a|an|the) | rewrite | summari[sz]e (?:the|this|our)
`);

/** Something is broken and the person describes it: diagnosis needs reasoning over details. */
export const TROUBLE = words(String.raw`
  (?:doesn'?t|does not|won'?t|will not|can'?t|cannot|couldn'?t|isn'?t|is not|aren'?t|not|never) (?:\w+ ){0,2}(?:work\w*|open\w*|load\w*|connect\w*|show\w*|fire\w*|start\w*|sync\w*|hear\w*|appear\w*|print\w*|send\w*|match\w*|add up|go through)
  keeps? \w+ing | stays? (?:black|blank|stuck|grey|gray|empty) | just spins | only (?:happens|works) | works fine | worked fine | (?:still|now) (?:fails?|failing|broken|black|stuck|shows?)
  fail(?:s|ed|ing)? | declined | #n/a | error | broke | broken | stuck | crash\w* | timed? ?out | mismatch | wrong (?:amount|total|number|result)
`);

/** Arithmetic over the person's figures. */
export const CALCULATION = words(String.raw`
  what'?s left | when (?:is|would be|will be) (?:my|our|the) (?:last|final) | how (?:much|many) | what (?:would|will|does) .{0,50}(?:cost|come to|be charged|charge|refund|owe|total) | total | per (?:year|month|seat|user) | refund(?:ed)? | overage | discount\w* | roughly | in total
`);

/** A request to follow or produce several steps. */
export const MULTI_STEP = words(`
  step[- ]by[- ]step | walk (?:me|us) through | and then | after that | first .{1,80} then | set up .{1,60} and | steps to | checklist | full list
  end[- ]to[- ]end | workflow | both .{1,40} and | as well as | what (?:do|would) (?:i|we) need to (?:do|know|set up) | before and after | in what order
`);

/** Code, configuration and integration vocabulary. */
export const CODE = words(String.raw`
  sdk | webhooks? | endpoints? | json | yaml | xml | regex | sql | query (?:to|that) | script\w* | cli | curl | oauth | saml | scim | jwt | cors | dns | cname | ssl | tls | certificate
  stack ?trace | traceback | exception | status code | 4\d\d | 5\d\d | null ?pointer | undefined is not | python | javascript | typescript | react | node(?:\.?js)? | java | golang | terraform | kubernetes | k8s | docker(?:file)? | helm | nginx | postgres\w* | mysql | etcd
  pagination | idempoten\w* | schema | cron | bash | powershell | ssh | git | formula | vlookup | xlookup | sumifs? | macro | signature verification | hmac | api gateway | environment variable\w*
`);

/** Syntax that only appears in code, formulas or logs. */
export const CODE_SYNTAX =
  /```|`[^`]+`|=>|\{\s*"?\w+"?\s*:|\w+\([^)]*\)\s*[;{]|^\s*at \S+ \(|\b(?:SELECT|INSERT|UPDATE|DELETE)\b .+\b(?:FROM|INTO|SET|WHERE)\b|\b[A-Z][a-zA-Z]+(?:Error|Exception)\b|=[A-Z]+\(|\$\s*\w+\s*=|<\/?[a-z]+[^>]*>|\b(?:LOG|ERROR|FATAL|WARN):/m;

/** Greetings, thanks and farewells: the cheapest model, whatever came before. */
export const SMALL_TALK =
  /^\s*(?:hi|hello|hey|hiya|yo|good (?:morning|afternoon|evening)|thanks?(?: you)?(?: so much| very much| a lot)?|thank you|thx|ty|cheers|ok(?:ay)?|great|perfect|awesome|cool|bye|goodbye|see you|that'?s all|got it)(?:[\s,!.]+(?:thanks?|thank you|that'?s all|that'?s it|for (?:your|the) help|bye|all good|again|there|team|so much|a lot|very much|mate|folks))*[\s!.,:)]*$/i;

/** A short follow-up that leans on the conversation before it. */
export const FOLLOW_UP = words(`
  it | that | this | those | these | them | they | he | she | another | again | more | same | instead | what about | how about | and if | and for | and what | and how | what else | then what
`);

/** An assistant turn that warned of danger: what follows it inherits the stakes. */
export const ASSISTANT_WARNING = words(`
  toxic | poisonous | act quickly | right away | immediately | urgentw* | emergency | seek (?:medical )?(?:help|attention|care) | a&e | emergency room | do not (?:drive|take|use|sign|pay)
  freeze (?:your|the) card | change (?:your|the) password | call (?:us|the police|your bank)
`);
