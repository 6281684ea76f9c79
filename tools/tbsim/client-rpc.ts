// Device-to-server RPC other than getSessionLimits goes to the rule engine, which answers nothing unless the tenant
// built a rule chain for it (an "RPC call reply" node); the transport then sends {"error":"timeout"} after
// transport.client_side_rpc.timeout. A handler set here stands for that tenant's rule chain.

/** The answer's JSON value (a Promise of it is awaited); a throw or rejection answers {"error": message}. */
export type ClientRpcHandler = (params: unknown, device: { id: string; name: string }) => unknown;

export class ClientRpcHandlers {
    private readonly handlers = new Map<string, ClientRpcHandler>();

    constructor(initial: Record<string, ClientRpcHandler> = {}) {
        for (const [method, handler] of Object.entries(initial)) this.set(method, handler);
    }

    /** Sets the handler of `method`, or removes it (back to the timeout) when `handler` is undefined. */
    set(method: string, handler: ClientRpcHandler | undefined): void {
        if (handler === undefined) {
            this.handlers.delete(method);
            return;
        }
        if (typeof handler !== 'function') throw new TypeError(`client RPC handler for "${method}" must be a function`);
        this.handlers.set(method, handler);
    }

    get(method: unknown): ClientRpcHandler | undefined {
        return typeof method === 'string' ? this.handlers.get(method) : undefined;
    }
}

/** Runs the handler and hands its answer (or {"error"}) to `reply`. */
export function runClientRpc(handler: ClientRpcHandler, params: unknown, device: { id: string; name: string }, reply: (answer: unknown) => void): void {
    Promise.resolve()
        .then(() => handler(params, device))
        .then(
            (answer) => reply(answer === undefined ? {} : answer),
            (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
        );
}
