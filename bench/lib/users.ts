/** Adds the user a load connects as (a `client` with a topic ACL), through the HTTP API as an operator would. */
export async function createDeviceUser(
  baseUrl: string,
  admin: { username: string; password: string },
  publish: readonly string[],
): Promise<{ username: string; password: string }> {
  const username = 'bench-device';
  const res = await fetch(`${baseUrl}/api/v1/users`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ name: username, role: 'client', publish }),
  });
  if (res.status !== 201)
    throw new Error(`creating the bench user failed: ${res.status} ${await res.text()}`);
  const { password } = (await res.json()) as { password: string };
  return { username, password };
}
