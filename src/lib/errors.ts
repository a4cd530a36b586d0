/**
 * The one set of error classes. The HTTP layer maps them to RFC 9457
 * problem+json; the CLI prints their message. Messages are written for the
 * user: they name the field or place and the problem.
 */
export interface FieldProblem {
  /** JSON pointer-ish location, e.g. "body.hostname" or "row 12, column owner" */
  readonly field: string;
  readonly message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly problems: readonly FieldProblem[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, problems: readonly FieldProblem[] = []) {
    super(422, 'Validation failed', message, problems);
  }
}
export class BadRequestError extends AppError {
  constructor(message: string, problems: readonly FieldProblem[] = []) {
    super(400, 'Bad request', message, problems);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required') {
    super(401, 'Unauthorized', message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to do this') {
    super(403, 'Forbidden', message);
  }
}
export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, 'Not found', `${what} was not found`);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, problems: readonly FieldProblem[] = []) {
    super(409, 'Conflict', message, problems);
  }
}
export class TooManyRequestsError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'Too many requests', message);
  }
}
