/** Bad input to a knowledge operation, naming the field at fault; the API maps `status` to 4xx. */
export class KnowledgeInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly status: 400 | 404 | 409 | 413 | 415 = 400,
  ) {
    super(message);
    this.name = 'KnowledgeInputError';
  }
}
