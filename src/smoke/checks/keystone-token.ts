// Keystone issues a token to admin through its public endpoint, from the runner: HTTPS on the
// elastic IP, verified against the stack's CA, with the credentials the user gets in clouds.yaml.

import type { CheckContext } from '../context';
import { issuePublicToken, keystoneUrl } from '../public-api';

export async function checkKeystoneToken(ctx: CheckContext): Promise<void> {
  const token = await issuePublicToken(ctx.env.controllerPublicIp, ctx.options.publicAccess, ctx.options.secrets ?? []);
  // A bearer credential for its lifetime: masked before anything could print it.
  ctx.io.setSecret(token.id);
  ctx.note(
    `token from ${keystoneUrl(ctx.env.controllerPublicIp)} (TLS verified with the stack's CA), expires ${token.expiresAt}`,
  );
}
