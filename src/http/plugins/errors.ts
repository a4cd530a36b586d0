import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, type FieldProblem, TooManyRequestsError } from '../../lib/errors.js';
import type { Problem } from '../problem.js';

const TYPE_BASE = 'https://patchloop.dev/problems/';

function send(reply: FastifyReply, req: FastifyRequest, status: number, title: string, detail: string, errors?: readonly FieldProblem[]) {
  const body: Problem = {
    type: `${TYPE_BASE}${title.toLowerCase().replace(/[^a-z]+/g, '-')}`,
    title,
    status,
    detail,
    instance: req.url.split('?')[0],
    requestId: String(req.id),
    ...(errors?.length ? { errors: [...errors] } : {}),
  };
  return reply.code(status).type('application/problem+json').send(body);
}

/** One error handler: every failure becomes problem+json carrying the request id; SQL never leaks. */
export function registerErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err instanceof TooManyRequestsError) reply.header('retry-after', String(err.retryAfterSeconds));
      return send(reply, req, err.status, err.title, err.message, err.problems);
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'request';
      const problems = err.validation.map((v) => {
        const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
        const params = v.params as { issue?: { code?: string; keys?: string[] } } | undefined;
        const keys = params?.issue?.code === 'unrecognized_keys' ? params.issue.keys : undefined;
        if (keys?.length) return { field: `${where}${path ? `.${path}` : ''}`, message: `unknown field(s): ${keys.join(', ')}` };
        return { field: `${where}${path ? `.${path}` : ''}`, message: v.message ?? 'is invalid' };
      });
      return send(reply, req, 400, 'Bad request', `The ${where} is not valid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems);
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
      return send(reply, req, 500, 'Internal server error', 'The server could not produce a valid response; the error was logged');
    }
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return send(reply, req, 413, 'Payload too large', `The request body is larger than the limit of ${req.routeOptions.bodyLimit ?? 0} bytes`);
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return send(reply, req, 415, 'Unsupported media type', `Content type ${req.headers['content-type'] ?? '(none)'} is not accepted here`);
    }
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' || (err.statusCode === 400 && err instanceof SyntaxError)) {
      return send(reply, req, 400, 'Bad request', `The request body is not valid JSON: ${err.message}`, [{ field: 'body', message: err.message }]);
    }
    if (err.statusCode === 429) {
      return send(reply, req, 429, 'Too many requests', err.message);
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return send(reply, req, err.statusCode, 'Bad request', err.message);
    }
    req.log.error({ err }, 'unhandled error');
    return send(reply, req, 500, 'Internal server error', `Something went wrong on the server; quote request id ${req.id} when reporting it`);
  });

  app.setNotFoundHandler((req, reply) => send(reply, req, 404, 'Not found', `No route ${req.method} ${req.url.split('?')[0]}`));
}
