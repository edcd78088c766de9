/**
 * The host page must never see an error from the widget. Every entry point (SDK methods, DOM
 * listeners, socket callbacks, timers) runs through `guard`, which catches synchronous throws
 * and rejected promises and hands them to one reporter instead.
 */

type Reporter = (error: unknown) => void;

let report: Reporter = (error) => {
  try {
    console.warn('[chat widget]', error);
  } catch {
    // A console that throws (some locked-down pages) must not break us either.
  }
};

/** Where caught errors go (the widget shows them and emits 'error'). */
export function setReporter(reporter: Reporter) {
  report = reporter;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  !!v && typeof (v as { then?: unknown }).then === 'function';

/** `fn`, made unable to throw: errors and rejections go to the reporter. */
export function guard<A extends unknown[], R>(fn: (...args: A) => R) {
  return (...args: A): R | undefined => {
    try {
      const result = fn(...args);
      if (isThenable(result)) Promise.resolve(result).catch((e: unknown) => safeReport(e));
      return result;
    } catch (error) {
      safeReport(error);
      return undefined;
    }
  };
}

function safeReport(error: unknown) {
  try {
    report(error);
  } catch {
    // The last line: nothing escapes.
  }
}
