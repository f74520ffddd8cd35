// Drives the official MCP TypeScript SDK client against a server, for the McpServices test suite.
// Usage: node ts-client.mjs '<plan json>'
// plan: { "url": "...", "token": "..."?, "calls": [ { "name": "...", "arguments": { ... } } ] }
// Prints one JSON object: { serverInfo, protocolVersion, tools: [names], results: [CallToolResult | { error }] }
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { callPlannedTools, errorOf } from './plan-calls.mjs';

const plan = JSON.parse(process.argv[2]);
const headers = plan.token ? { Authorization: `Bearer ${plan.token}` } : {};
const transport = new StreamableHTTPClientTransport(new URL(plan.url), { requestInit: { headers } });
const client = new Client({ name: 'mcpservices-ts-interop', version: '1.0.0' });

const output = { results: [] };
try {
  await client.connect(transport);
  output.serverInfo = client.getServerVersion();
  output.protocolVersion = transport.protocolVersion ?? null;
  const listed = await client.listTools();
  output.tools = listed.tools.map(t => t.name);
  await callPlannedTools(client, plan, output.results);
  await client.close();
} catch (e) {
  output.error = { ...errorOf(e), name: e?.constructor?.name ?? null };
}
process.stdout.write(JSON.stringify(output));
