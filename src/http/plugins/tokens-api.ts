import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import type { NewToken, TokenAction, TokenInfo, TokenPermission } from '../../auth/tokens.js';
import type { CreatedTokenDto, TokenDto } from '../../contract/api.js';
import { AppError } from '../../core/errors.js';
import { requireAuth } from '../auth-hook.js';

/** Body of POST /api/v1/tokens; checked here for shape, by the registry for content. */
export function newTokenFrom(body: unknown): NewToken {
  if (typeof body !== 'object' || body === null) {
    throw new AppError('AUTH_BAD_TOKEN', 'expected a JSON object like {"permissions": [...]}');
  }
  const b = body as Record<string, unknown>;
  if (b.name !== undefined && typeof b.name !== 'string')
    throw new AppError('AUTH_BAD_TOKEN', 'name must be a string');
  if (!Array.isArray(b.permissions)) {
    throw new AppError(
      'AUTH_BAD_TOKEN',
      'permissions is required: a list like [{"action": "write", "database": "farm"}]',
    );
  }
  const permissions: TokenPermission[] = b.permissions.map((p: unknown, i) => {
    const entry = p as Record<string, unknown> | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.database !== 'string') {
      throw new AppError(
        'AUTH_BAD_TOKEN',
        `permissions[${i}] must be {"action": "read"|"write", "database": "…"}`,
      );
    }
    return { action: entry.action as TokenAction, database: entry.database };
  });
  return { ...(b.name === undefined ? {} : { name: b.name as string }), permissions };
}

function dto(t: TokenInfo): TokenDto {
  return { ...t, permissions: t.permissions.map((p) => ({ ...p })) };
}

/** API tokens, admin only (a token cannot manage tokens). The token itself is returned once, at creation. */
export const tokensRoutes: FastifyPluginAsync<{ auth: Authenticator }> = async (app, { auth }) => {
  app.addHook('preHandler', requireAuth(auth, ['admin']));

  app.get(
    '/api/v1/tokens',
    async (): Promise<{ tokens: TokenDto[] }> => ({
      tokens: (await auth.tokens.list()).map(dto),
    }),
  );

  app.post('/api/v1/tokens', async (req, reply) => {
    const { info, token } = await auth.tokens.create(newTokenFrom(req.body));
    const body: CreatedTokenDto = { ...dto(info), token };
    return reply.status(201).send(body);
  });

  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', async (req, reply) => {
    await auth.tokens.revoke(req.params.id);
    return reply.status(204).send();
  });
};
