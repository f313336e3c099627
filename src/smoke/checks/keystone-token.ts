// Keystone issues a token to admin: the credentials, the identity endpoint and the database work.

import type { CheckContext } from '../context';

interface Token {
  id?: string;
  expires?: string;
  project_id?: string;
}

export async function checkKeystoneToken(ctx: CheckContext): Promise<void> {
  const command = 'openstack token issue -f json';
  const hint =
    'Keystone refused or did not answer: check /var/log/keystone (or the apache2/httpd error log) on the controller, that OS_AUTH_URL in the admin openrc answers, and that the keystone stage bootstrapped the admin user';
  const token = await ctx.cli.json<Token>(command, 'Keystone did not issue a token', hint);
  if (!token.id || !token.expires)
    throw ctx.cli.failure('Keystone answered without a token id or expiry', command, JSON.stringify(token), hint);
  ctx.note(`token expires ${token.expires}`);
}
