/** additionalInfo.gateway read the way Jackson's asBoolean() reads it (MTH checkGatewaySession, TAPI device info). */
export function gatewayFlag(additionalInfo: Record<string, unknown> | null | undefined): boolean {
    const flag = additionalInfo?.gateway;
    if (typeof flag === 'boolean') return flag;
    if (typeof flag === 'string') return flag.trim() === 'true';
    if (typeof flag === 'number') return flag !== 0;
    return false;
}
