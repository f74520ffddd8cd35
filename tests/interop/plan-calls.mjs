// Shared by the interop client scripts: run a plan's tool calls with a connected client of the official TypeScript SDK.

/** A thrown value as JSON the .NET tests can read. */
export const errorOf = e => ({ message: String(e?.message ?? e), code: e?.code ?? null });

/** Calls every tool in plan.calls in order; a failed call is recorded as { error } and the next one still runs. */
export async function callPlannedTools(client, plan, results) {
  for (const call of plan.calls ?? []) {
    try {
      results.push(await client.callTool({ name: call.name, arguments: call.arguments ?? {} }));
    } catch (e) {
      results.push({ error: errorOf(e) });
    }
  }
}
