"""A client's network address as the journal, the logs and the per-address limits name
it: an IP address only. What a proxy's header carries is any text at all (a NUL, a
bidirectional character, a name): never recorded as it came, and counted as one
address."""

import ipaddress

UNKNOWN_ADDRESS = "inconnue"  # none given
INVALID_ADDRESS = "adresse invalide"  # something that is no IP address


def recorded_address(host: str) -> str:
    """``host`` as recorded: an IP address; an IPv4 client that a dual-stack proxy names
    ``::ffff:a.b.c.d`` by its IPv4 address; anything else, an IPv6 zone included
    (« fe80::1%… », whose zone is any text), :data:`INVALID_ADDRESS`."""
    if not host:
        return UNKNOWN_ADDRESS
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return INVALID_ADDRESS
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return INVALID_ADDRESS
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
    return str(ip)
