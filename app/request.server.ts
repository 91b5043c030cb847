/** The client's address as Express saw it (server.ts trusts only a loopback proxy). */
export function clientIp(request: Request): string {
  return request.headers.get('x-truthline-client-ip') ?? 'unknown';
}
