/**
 * The widget's words in English, German and Arabic. A locale is chosen from an explicit
 * setting, else the browser's languages, else English; Arabic turns the panel right-to-left.
 * `{name}`-style placeholders are filled by `t()`, as text (never HTML).
 */

const en = {
  title: 'Chat',
  open: 'Open chat',
  close: 'Close chat',
  assistant: 'Assistant',
  agent: 'Support team',
  byAi: 'Answered by our AI assistant',
  byHuman: 'You are chatting with a person',
  waiting: 'Waiting for a person to join…',
  greeting: 'Hi! How can we help you today?',
  you: 'You',
  placeholder: 'Type your message…',
  input: 'Message',
  send: 'Send',
  stop: 'Stop answer',
  human: 'Talk to a person',
  rate: 'Was this answer helpful?',
  up: 'Helpful',
  down: 'Not helpful',
  thanks: 'Thanks for your feedback!',
  sources: 'Sources ({n})',
  source: 'Source {n}',
  typing: '{name} is typing…',
  writing: 'The assistant is writing…',
  sending: 'Sending…',
  notSent: 'Not sent.',
  retry: 'Retry',
  dismiss: 'Dismiss',
  offline: 'Connection lost. Reconnecting…',
  newMessage: '{name}: {text}',
  tooLong: 'Your message is too long ({n} of at most {max} characters).',
  as: 'Chatting as {name}',
  rate_limited: 'You are sending messages too quickly. Please wait a moment.',
  message_too_large: 'Your message is too long. Please shorten it.',
  forbidden: 'The chat is not available on this website.',
  bad_key: 'This chat is not set up correctly (its key is not valid).',
  not_found: 'This conversation no longer exists.',
  unauthorized: 'Your chat session has expired. Please reload the page.',
  unavailable: 'The chat is unavailable right now. We will keep trying.',
  error: 'Something went wrong. Please try again.',
};

export type Strings = typeof en;
export type StringKey = keyof Strings;

const de: Strings = {
  title: 'Chat',
  open: 'Chat öffnen',
  close: 'Chat schließen',
  assistant: 'Assistent',
  agent: 'Support-Team',
  byAi: 'Es antwortet unser KI-Assistent',
  byHuman: 'Sie chatten mit einem Menschen',
  waiting: 'Warten auf eine Ansprechperson…',
  greeting: 'Hallo! Wie können wir Ihnen helfen?',
  you: 'Sie',
  placeholder: 'Nachricht eingeben…',
  input: 'Nachricht',
  send: 'Senden',
  stop: 'Antwort stoppen',
  human: 'Mit einem Menschen sprechen',
  rate: 'War diese Antwort hilfreich?',
  up: 'Hilfreich',
  down: 'Nicht hilfreich',
  thanks: 'Danke für Ihr Feedback!',
  sources: 'Quellen ({n})',
  source: 'Quelle {n}',
  typing: '{name} schreibt…',
  writing: 'Der Assistent schreibt…',
  sending: 'Wird gesendet…',
  notSent: 'Nicht gesendet.',
  retry: 'Erneut senden',
  dismiss: 'Schließen',
  offline: 'Verbindung unterbrochen. Verbinde erneut…',
  newMessage: '{name}: {text}',
  tooLong: 'Ihre Nachricht ist zu lang ({n} von höchstens {max} Zeichen).',
  as: 'Angemeldet als {name}',
  rate_limited: 'Sie senden zu schnell. Bitte warten Sie einen Moment.',
  message_too_large: 'Ihre Nachricht ist zu lang. Bitte kürzen Sie sie.',
  forbidden: 'Der Chat ist auf dieser Website nicht verfügbar.',
  bad_key: 'Dieser Chat ist nicht richtig eingerichtet (sein Schlüssel ist ungültig).',
  not_found: 'Dieses Gespräch existiert nicht mehr.',
  unauthorized: 'Ihre Chat-Sitzung ist abgelaufen. Bitte laden Sie die Seite neu.',
  unavailable: 'Der Chat ist gerade nicht erreichbar. Wir versuchen es weiter.',
  error: 'Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.',
};

const ar: Strings = {
  title: 'الدردشة',
  open: 'فتح الدردشة',
  close: 'إغلاق الدردشة',
  assistant: 'المساعد',
  agent: 'فريق الدعم',
  byAi: 'يجيب مساعدنا الذكي',
  byHuman: 'أنت تتحدث مع شخص',
  waiting: 'في انتظار انضمام أحد الموظفين…',
  greeting: 'مرحبًا! كيف يمكننا مساعدتك اليوم؟',
  you: 'أنت',
  placeholder: 'اكتب رسالتك…',
  input: 'الرسالة',
  send: 'إرسال',
  stop: 'إيقاف الإجابة',
  human: 'التحدث مع شخص',
  rate: 'هل كانت هذه الإجابة مفيدة؟',
  up: 'مفيدة',
  down: 'غير مفيدة',
  thanks: 'شكرًا لملاحظاتك!',
  sources: 'المصادر ({n})',
  source: 'المصدر {n}',
  typing: '{name} يكتب…',
  writing: 'المساعد يكتب…',
  sending: 'جارٍ الإرسال…',
  notSent: 'لم تُرسل.',
  retry: 'إعادة المحاولة',
  dismiss: 'إغلاق',
  offline: 'انقطع الاتصال. جارٍ إعادة الاتصال…',
  newMessage: '{name}: {text}',
  tooLong: 'رسالتك طويلة جدًا ({n} من {max} حرفًا كحد أقصى).',
  as: 'تتحدث باسم {name}',
  rate_limited: 'أنت ترسل الرسائل بسرعة كبيرة. يرجى الانتظار قليلًا.',
  message_too_large: 'رسالتك طويلة جدًا. يرجى تقصيرها.',
  forbidden: 'الدردشة غير متاحة على هذا الموقع.',
  bad_key: 'هذه الدردشة غير مُعدّة بشكل صحيح (مفتاحها غير صالح).',
  not_found: 'هذه المحادثة لم تعد موجودة.',
  unauthorized: 'انتهت جلسة الدردشة. يرجى إعادة تحميل الصفحة.',
  unavailable: 'الدردشة غير متاحة حاليًا. سنواصل المحاولة.',
  error: 'حدث خطأ ما. يرجى المحاولة مرة أخرى.',
};

const LOCALES: Record<string, Strings> = { en, de, ar };
const RTL = ['ar'];

export type Locale = { lang: string; dir: 'ltr' | 'rtl'; strings: Strings };

/** The first supported language among the candidates (tags like `de-AT` match `de`). */
export function pickLocale(...candidates: (string | null | undefined)[]): Locale {
  for (const tag of candidates) {
    const lang = tag?.toLowerCase().split(/[-_]/)[0];
    const strings = lang ? LOCALES[lang] : undefined;
    if (lang && strings) return { lang, dir: RTL.includes(lang) ? 'rtl' : 'ltr', strings };
  }
  return { lang: 'en', dir: 'ltr', strings: en };
}

/** A string with its `{placeholders}` filled in. */
export function t(locale: Locale, key: StringKey, vars: Record<string, string | number> = {}) {
  return locale.strings[key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));
}

const ERRORS = [
  'rate_limited',
  'message_too_large',
  'forbidden',
  'bad_key',
  'not_found',
  'unauthorized',
];

/**
 * The localised text for an error code from a socket error frame or a REST reply; codes
 * without their own words (internal, bad_frame...) get the generic one, and an exhausted
 * budget (payment_required) reads as "unavailable" to a visitor.
 */
export function errorText(locale: Locale, code: string): string {
  if (code === 'payment_required' || code === 'unavailable') return t(locale, 'unavailable');
  return t(locale, (ERRORS.includes(code) ? code : 'error') as StringKey);
}
