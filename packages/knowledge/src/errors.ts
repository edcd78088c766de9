/** A document that cannot be turned into text, with a reason fit to show its owner. */
export class ParseError extends Error {
  constructor(
    readonly reason: 'empty' | 'unsupported' | 'encrypted' | 'corrupt' | 'too_large',
    message: string,
  ) {
    super(message);
    this.name = 'ParseError';
  }
}
