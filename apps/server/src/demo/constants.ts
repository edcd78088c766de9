/** What the first-start demo is made of; the page, the seed and the tests agree on these. */
export const DEMO = {
  organisation: 'Acme Demo',
  /** Well known, so `npm run platform -- ask --tenant demo` and the README examples find it. */
  slug: 'demo',
  adminEmail: 'admin@demo.localhost',
  adminName: 'Demo Admin',
  /** In DATA_DIR, readable by its owner only. */
  passwordFile: 'demo-admin.txt',
  widgetName: 'Demo widget',
  greeting: 'Hi! Ask me about shipping, billing or your account.',
} as const;
