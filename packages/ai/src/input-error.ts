/** Bad input to an AI-core operation, naming the field at fault; the API maps `status` to 4xx. */
export class AiInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly status: 400 | 404 | 409 = 400,
  ) {
    super(message);
    this.name = 'AiInputError';
  }
}

/** The tenant's budget is spent and its policy is to refuse further answers. */
export class BudgetExhaustedError extends Error {
  constructor() {
    super('The monthly AI budget is exhausted; an administrator can raise it');
    this.name = 'BudgetExhaustedError';
  }
}
