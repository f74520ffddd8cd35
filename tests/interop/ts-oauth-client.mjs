// The official MCP TypeScript SDK client against a protected server, as the MCP authorization specification describes:
// an unauthenticated request gets 401 with a resource_metadata challenge; the client discovers the protected resource
// metadata and the authorization server, obtains a token (client credentials, RFC 8707 resource indicator) and retries.
// Usage: node ts-oauth-client.mjs '<plan json>'
// plan: { "url": "...", "clientId": "...", "clientSecret": "...", "scope": "..."?, "calls": [ { "name", "arguments" } ] }
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { callPlannedTools } from './plan-calls.mjs';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';

const plan = JSON.parse(process.argv[2]);
const output = { results: [] };

// What a client sees first: the challenge.
const probe = await fetch(plan.url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'probe', version: '1.0.0' } } }),
});
output.challenge = { status: probe.status, wwwAuthenticate: probe.headers.get('www-authenticate') };

// The SDK's own OAuth flow.
const requests = [];
const recordingFetch = async (url, init) => {
  requests.push(String(url));
  return fetch(url, init);
};
const provider = new ClientCredentialsProvider({ clientId: plan.clientId, clientSecret: plan.clientSecret, scope: plan.scope });
const transport = new StreamableHTTPClientTransport(new URL(plan.url), { authProvider: provider, fetch: recordingFetch });
const client = new Client({ name: 'mcpservices-ts-oauth', version: '1.0.0' });
try {
  await client.connect(transport);
  output.tokenObtained = Boolean(provider.tokens()?.access_token);
  output.grantedScope = provider.tokens()?.scope ?? null;
  output.tools = (await client.listTools()).tools.map(t => t.name);
  await callPlannedTools(client, plan, output.results);
  await client.close();
} catch (e) {
  output.error = { message: String(e?.message ?? e), name: e?.constructor?.name ?? null, stack: String(e?.stack ?? '') };
}
output.requests = requests;
process.stdout.write(JSON.stringify(output));
