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


# A browser session's workstation in the journal: the client's address, so that every
# entry of a session says it came from a browser, and from where (csu serve).
WEB_PREFIX = "web:"


def web_workstation(address: str) -> str:
    """The workstation of a browser session from ``address`` (:func:`recorded_address`)."""
    return f"{WEB_PREFIX}{address}"


def counted_address(address: str) -> str:
    """Whom a per-address limit counts: ``address`` as :func:`recorded_address` gives it;
    an IPv6 client by its /64, which one host can rotate within."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # « adresse invalide », « inconnue »: one address each
        return address
    if ip.version == 6 and not ip.is_loopback:
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return address


def login_origin(workstation: str) -> str:
    """Where failed logins are counted (csu.services.auth): the workstation; a browser
    session's by its client's :func:`counted_address`, so that an IPv6 host rotating its
    address within its /64 stays one origin."""
    if workstation.startswith(WEB_PREFIX):
        return web_workstation(counted_address(workstation.removeprefix(WEB_PREFIX)))
    return workstation
