/**
 * A synthetic help centre for bench/chat-overhead.ts: Markdown articles about made-up products,
 * one `##` section per passage, and questions asked in the words of one section.
 *
 * Vocabulary: a hand-written support lexicon (features, actions, symptoms) for what each section
 * is about, and general English drawn from the local embedder's word list (wink-embeddings,
 * ranked by frequency) with Zipf weights, so term frequencies fall off as in real text: a few
 * words are in thousands of passages, most in a handful. Everything follows one seed.
 */
import { STOP_WORDS } from '@platform/knowledge';
import { loadWordVectors } from '../../packages/knowledge/src/embed/word-vectors.ts';

/** mulberry32: small, fast, seeded. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FEATURES =
  `account invoice password webhook token workspace project dashboard report export import
  integration calendar notification email template widget plugin subscription plan seat license
  billing payment refund receipt quota limit storage bucket backup snapshot restore archive folder
  file upload attachment signature contract approval workflow trigger automation schedule reminder
  label tag filter search index query field column table view chart metric alert threshold monitor
  log audit trail permission role group member guest invitation domain certificate sso saml oauth
  key secret credential session device browser mobile desktop printer scanner camera microphone
  headset router firewall proxy vpn gateway endpoint server cluster node queue worker job pipeline
  deployment release version branch commit repository build artifact container image registry
  database replica migration schema record entry form survey response ticket inbox conversation
  chat message thread channel mention reaction comment note draft document page section heading
  link shortcut hotkey theme language locale timezone currency tax discount coupon voucher cart
  checkout order shipment delivery tracking carrier warehouse inventory stock product catalog
  variant price supplier vendor customer contact lead opportunity pipeline forecast quote proposal
  timesheet shift rota leave holiday payroll expense mileage reimbursement budget ledger journal
  reconciliation statement balance transfer deposit withdrawal wallet card terminal kiosk badge
  visitor reception locker room booking reservation seat floor desk parking sensor thermostat`
    .split(/\s+/)
    .filter(Boolean);

const ACTIONS =
  `configure enable disable reset rename delete restore export import share invite remove
  connect disconnect sync schedule approve reject archive merge split duplicate migrate upgrade
  downgrade cancel renew verify rotate revoke assign transfer lock unlock pause resume retry
  refresh update install uninstall customise limit extend recover encrypt backup`
    .split(/\s+/)
    .filter(Boolean);

const SYMPTOMS = [
  'fails',
  'stalls',
  'times out',
  'shows an error',
  'disappears',
  'stays pending',
  'loads slowly',
  'rejects the change',
  'logs me out',
  'sends twice',
  'never arrives',
  'looks empty',
  'shows the wrong total',
];

const PRODUCT_SYLLABLES = `nim bus cor vid ala ria ten dra vox ell quo ra zen ith mar lo pel ta sor
  en kai ro fen wick bla ze tor mo lu na ver ant gal io`
  .split(/\s+/)
  .filter(Boolean);

export type Section = { heading: string; focus: string[]; general: string[]; text: string };
export type Article = { product: string; title: string; sections: Section[]; markdown: string };

export interface Corpus {
  articles: Article[];
  /** A question no earlier call returned, in the words of a random section. */
  question(): string;
}

export async function buildCorpus(opts: {
  articles: number;
  sectionsPerArticle: number;
  seed: number;
}): Promise<Corpus> {
  const random = prng(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

  // General English: the word list's ranks 100-20,000 without stop words, Zipf-weighted.
  const vectors = await loadWordVectors();
  const ranked = [...vectors.slots.entries()]
    .map(([word, slot]) => ({ word, rank: vectors.ranks[slot] ?? 0 }))
    .filter(
      (w) =>
        w.rank >= 100 && w.rank < 20_000 && /^[a-z]{3,}$/.test(w.word) && !STOP_WORDS.has(w.word),
    )
    .sort((a, b) => a.rank - b.rank)
    .map((w) => w.word);
  const cumulative: number[] = [];
  let total = 0;
  for (let i = 0; i < ranked.length; i++) {
    total += 1 / (i + 20);
    cumulative.push(total);
  }
  const general = (): string => {
    const r = random() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < r) lo = mid + 1;
      else hi = mid;
    }
    return ranked[lo] as string;
  };
  // Rarer general words that can be a section's own subject.
  const subjectWords = ranked.slice(1500);

  const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const productName = () =>
    capital(
      Array.from({ length: 2 + Math.floor(random() * 2) }, () => pick(PRODUCT_SYLLABLES)).join(''),
    );

  // Words of the support register, each slot drawn from a set, so no connective is everywhere.
  const slots: Record<string, readonly string[]> = {
    ui: 'list table menu panel tab page screen sidebar toolbar dialog overview console'.split(' '),
    who: 'owners admins editors managers reviewers accountants operators moderators supervisors'.split(
      ' ',
    ),
    unit: ['minutes', 'hours', 'days', 'weeks', 'months'],
    go: ['open', 'go to', 'select', 'visit', 'find', 'navigate to', 'switch to'],
    pick: ['choose', 'click', 'tap', 'press', 'pick', 'use'],
    fail: SYMPTOMS,
    adj: 'new old shared default custom archived primary secondary linked hidden public private'.split(
      ' ',
    ),
    check: ['check', 'confirm', 'verify', 'make sure', 'ensure', 'see whether'],
    change: ['changes', 'updates', 'edits', 'adjustments', 'corrections', 'modifications'],
    keep: ['kept', 'stored', 'retained', 'saved', 'held', 'preserved'],
    reach: ['reach', 'appear on', 'sync to', 'propagate to', 'arrive at', 'apply to'],
    tier: ['plan', 'subscription', 'tier', 'package', 'edition', 'contract'],
    cap: ['limit', 'quota', 'allowance', 'maximum', 'ceiling'],
    all: ['every', 'each', 'all', 'any'],
    retains: ['keeps', 'retains', 'holds on to', 'preserves'],
    send: ['sends', 'emails', 'posts', 'raises', 'displays', 'issues'],
    notice: ['notice', 'warning', 'alert', 'reminder', 'message', 'banner'],
  };
  const SENTENCES = [
    'To {A} the {F} {F}, {go} {P} and {pick} {G} {G}.',
    'The {F} {G} is {keep} for {N} {unit} unless {who} set another {G}.',
    'If the {F} {fail}, {check} that the {G} {F} is not {G}.',
    'Only {who} can {A} a {F}; others see the {G} but not the {G}.',
    'Each {F} counts towards the {G} {F} of your {F} {tier}.',
    'You can {A} several {F}s at once from the {G} {ui}, then {A} the {G}.',
    '{Fc} {change} {reach} {all} {G} within {N} {unit}; {G} {G} may take longer.',
    'Note: a {F} created before the {G} {G} {retains} its {adj} {F} until you {A} it.',
    '{P} {send} a {G} {notice} when the {F} passes {N}% of its {G}.',
    'The {G} {F} works with {G}, {G} and {adj} {F}s.',
    '{go} the {F} {ui} to {A} {G} {F}s in bulk.',
    'A {adj} {F} inherits the {G} of its {F} unless you {A} it by hand.',
    'When a {F} is {G}, {P} {send} the {who} a {notice} with the {G}.',
    'Use the {G} filter to find {F}s that {fail}.',
    '{P} records an audit entry whenever someone edits a {F} or its {G}.',
    'Imports accept up to {N} {F}s per file; larger {G} files are split.',
    'The {F} {cap} depends on your {tier}: {N} on {G} and more on {adj} ones.',
    'After you {A} the {F}, the {G} {G} is recalculated overnight.',
    '{Fc} and {F} stay linked, so removing one {fail} in the other {ui}.',
    'For {G} {F}s, {who} must {A} the {G} first.',
    'The {ui} lists every {F} with its {G}, {G} and {adj} status.',
    'Tip: pin the {F} {ui} to reach {G} {F}s faster.',
    'Mobile apps show the {F} but cannot {A} the {G}.',
    'API clients {A} {F}s with the same {G} rules as the web {ui}.',
    'Deleting a {F} moves it to the trash for {N} {unit}, where {who} can restore it.',
    'Ask your {who} if the {F} option is missing from the {ui}.',
  ];

  /** Fills {A} action, {F}/{Fc} focus word, {G} general word, {P} product, {N} number, {slot}. */
  const fill = (
    template: string,
    ctx: { focus: readonly string[]; product: string; general: () => string },
  ) =>
    template.replace(/\{(\w+)\}/g, (_, key: string) => {
      if (key === 'A') return pick(ACTIONS);
      if (key === 'F') return pick(ctx.focus);
      if (key === 'Fc') return capital(pick(ctx.focus));
      if (key === 'G') return ctx.general();
      if (key === 'P') return ctx.product;
      if (key === 'N') return String(2 + Math.floor(random() * 98));
      const options = slots[key];
      if (!options) throw new Error(`unknown slot ${key}`);
      return pick(options);
    });

  const sentence = (focus: string[], used: string[], product: string): string =>
    fill(pick(SENTENCES), {
      focus,
      product,
      general: () => {
        const w = general();
        used.push(w);
        return w;
      },
    });

  const articles: Article[] = [];
  const usedTitles = new Set<string>();
  for (let a = 0; a < opts.articles; a++) {
    const product = productName();
    // The article's subject: a dozen features and a few rarer words of its own.
    const topic = [
      ...Array.from({ length: 12 }, () => pick(FEATURES)),
      ...Array.from({ length: 6 }, () => pick(subjectWords)),
    ];
    let title = `${product} ${pick(topic)} ${pick(['guide', 'handbook', 'reference', 'FAQ', 'manual'])}`;
    while (usedTitles.has(title)) title = `${title} ${a}`;
    usedTitles.add(title);
    const lines = [
      `# ${title}`,
      '',
      `This article explains how ${product} handles ${topic.slice(0, 4).join(', ')} and ${topic[4]}.`,
      '',
    ];
    const sections: Section[] = [];
    for (let s = 0; s < opts.sectionsPerArticle; s++) {
      const focus = [pick(topic), pick(topic), pick(topic), pick(FEATURES), pick(subjectWords)];
      const used: string[] = [];
      const sentences = Array.from({ length: 4 + Math.floor(random() * 4) }, () =>
        sentence(focus, used, product),
      );
      const heading = `${capital(pick(ACTIONS))} ${focus[0]} ${focus[1]}${random() < 0.3 ? ` ${focus[4]}` : ''}`;
      // Two paragraphs, sometimes a list: well under the 1,000-character chunk target.
      const half = Math.ceil(sentences.length / 2);
      const body =
        random() < 0.25
          ? `${sentences.slice(0, half).join(' ')}\n\n${sentences
              .slice(half)
              .map((x) => `- ${x}`)
              .join('\n')}`
          : `${sentences.slice(0, half).join(' ')}\n\n${sentences.slice(half).join(' ')}`;
      lines.push(`## ${heading}`, '', body, '');
      sections.push({ heading, focus, general: used, text: body });
    }
    articles.push({ product, title, sections, markdown: lines.join('\n') });
  }

  const QUESTIONS = [
    'How do I {A} the {F} {F} in {P}?',
    'Why does the {F} {G} {fail} after I {A} it?',
    'Who can {A} a {F}?',
    'How long is a {F} {G} {keep}?',
    'Can I {A} several {F}s from the {G} {ui}?',
    'What happens to my {F} when the {G} {F} {change}?',
    'When does {P} send a {notice} about the {F}?',
    'Does the {G} {F} work with {G}?',
    '{P}: the {F} {fail}, what should I {check}?',
    'Is there a {cap} on {F}s per {G}?',
    'Where do I find the {F} {G} settings?',
    'How can I {A} a {adj} {F} in {P}?',
    'What does the {G} {F} {notice} mean?',
    'How do I get {F} {G} back after deleting it?',
  ];
  const asked = new Set<string>();
  const question = (): string => {
    for (;;) {
      const article = pick(articles);
      const section = pick(article.sections);
      const q = fill(pick(QUESTIONS), {
        focus: section.focus,
        product: article.product,
        general: () => (section.general.length ? pick(section.general) : general()),
      });
      if (asked.has(q)) continue;
      asked.add(q);
      return q;
    }
  };
  return { articles, question };
}
