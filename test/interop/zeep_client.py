"""Drives ssod with python3-zeep, a SOAP client nobody here wrote, built from the served WSDL.

Usage: zeep_client.py WSDL_URL CA_FILE WORK_DIR [EXT_WSDL_URL]
Without EXT_WSDL_URL it runs the protocol; with it, ssod's extensions (docs/EXTENSIONS.md) through a
second client built from the extensions WSDL, beside a protocol one that registers and creates.
Prints one JSON object with what each step returned; the Node test asserts on it.
"""
import json
import os
import sys

import requests
from zeep import Client, Settings, xsd
from zeep.exceptions import Fault
from zeep.transports import Transport

WSDL, CA, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
EXT_WSDL = sys.argv[4] if len(sys.argv) > 4 else None


def client(cert=None, wsdl=WSDL):
    session = requests.Session()
    # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment would override session.verify
    # (requests merges environment settings over the session's); trust only ssod's CA.
    session.trust_env = False
    session.verify = CA
    if cert:
        session.cert = cert
    return Client(wsdl, transport=Transport(session=session), settings=Settings(strict=True))


def ports(c):
    """The SOAP 1.1 and 1.2 ports of the service, found by their binding type."""
    found = {}
    for service in c.wsdl.services.values():
        for name, port in service.ports.items():
            version = "1.2" if "Soap12" in type(port.binding).__name__ else "1.1"
            found[version] = c.bind(service.name, name)
    return found


def fault_of(call):
    try:
        call()
    except Fault as fault:
        subcodes = [q.localname if hasattr(q, "localname") else str(q) for q in (fault.subcodes or [])]
        return {"code": str(fault.code), "subcodes": subcodes, "message": fault.message}
    return None


def register(guest, name):
    """registerApplication as a guest; the key and certificate it issued, as files for requests."""
    registered = guest["1.2"].registerApplication(
        name=name, displayName="zeep client", version="4", capabilities="", url="https://%s.example.com:8443/" % name
    )
    pem = registered.certificate
    key_end = pem.index("-----END PRIVATE KEY-----") + len("-----END PRIVATE KEY-----")
    key_file, cert_file = os.path.join(WORK, name + ".key"), os.path.join(WORK, name + ".crt")
    with open(key_file, "w") as f:
        f.write(pem[:key_end] + "\n")
    with open(cert_file, "w") as f:
        f.write(pem[key_end:].strip() + "\n")
    return registered, (cert_file, key_file)


def variables(ext, session_id):
    """The session variable operations and ssox:verifySession, typed by the extensions WSDL (booleans, counts, records)."""
    out = {}
    ext["1.2"].declareSessionVariable(name="theme", defaultValue="light", maxLength=16, readable=True, writable=False)
    ext["1.1"].declareSessionVariable(name="cart", defaultValue="[]", maxLength=4096, readable=False, writable=False)
    declarations = ext["1.2"].listSessionVariableDeclarations() or []
    out["declarations"] = [[d.name, d.defaultValue, d.maxLength, d.readable, d.writable] for d in declarations]
    got = ext["1.2"].getSessionVariable(sessionId=session_id, name="theme")
    out["initial"] = [got.value, got.version]
    out["set"] = ext["1.1"].setSessionVariable(sessionId=session_id, name="theme", value="dark", version=0)
    out["lost"] = fault_of(lambda: ext["1.2"].setSessionVariable(sessionId=session_id, name="theme", value="blue", version=0))
    out["overLength"] = fault_of(lambda: ext["1.2"].setSessionVariable(sessionId=session_id, name="theme", value="x" * 17, version=1))
    verified = ext["1.2"].verifySession(sessionId=session_id)
    out["verified"] = {
        "userId": verified.userId,
        "firstVisit": verified.firstVisit,
        "variables": [[v.owner, v.name, v.value, v.version] for v in verified.variable or []],
    }
    out["again"] = ext["1.1"].verifySession(sessionId=session_id).firstVisit
    ext["1.2"].removeSessionVariable(name="cart")
    out["removed"] = fault_of(lambda: ext["1.2"].removeSessionVariable(name="cart"))
    return out


def extensions():
    """getSignOnMethod, authenticate with ssox:originatingIp and verifyTicket through a client of /soap?wsdl=ext."""
    out = {}
    guest = ports(client())
    registered, cert = register(guest, "zeepext")
    app = ports(client(cert))
    user_id = app["1.2"].createUser(login="zeep-ext@example.com", password="zeep-secret")
    ext_app = ports(client(cert, EXT_WSDL))
    ext_guest = ports(client(None, EXT_WSDL))
    out["userId"] = user_id
    out["extPorts"] = sorted(ext_app.keys())
    out["method"] = {version: ext_app[version].getSignOnMethod(userId=user_id) for version in ("1.1", "1.2")}
    auth = ext_guest["1.2"].authenticate(
        login="zeep-ext@example.com", password="zeep-secret", baseUrl="https://zeepext.example.com:8443/", originatingIp="203.0.113.7"
    )
    out["authenticated"] = {"userId": auth.userId, "sessionId": auth.sessionId, "relayToken": auth.relayToken}
    out["verified"] = app["1.1"].verifySession(sessionId=auth.sessionId)
    out["authenticated11"] = ext_guest["1.1"].authenticate(login="zeep-ext@example.com", password="zeep-secret", originatingIp="2001:db8::7").userId
    out["badIp"] = fault_of(lambda: ext_guest["1.2"].authenticate(login="zeep-ext@example.com", password="zeep-secret", originatingIp="not-an-ip"))
    out["noSuchUser"] = fault_of(lambda: ext_app["1.2"].getSignOnMethod(userId="00000000-0000-4000-8000-00000000abcd"))
    out["guestDenied"] = fault_of(lambda: ext_guest["1.1"].getSignOnMethod(userId=user_id))
    out["forgedTicket"] = fault_of(lambda: ext_app["1.2"].verifyTicket(ticket="eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."))
    out["applicationId"] = registered.applicationId
    out["variables"] = variables(ext_app, auth.sessionId)
    return out


if EXT_WSDL is not None:
    print(json.dumps(extensions()))
    sys.exit(0)

out = {}
guest = ports(client())
out["ports"] = sorted(guest.keys())
registered, cert = register(guest, "zeep")
out["applicationId"] = registered.applicationId

app = ports(client(cert))
out["userId"] = app["1.1"].createUser(login="zeep-user@example.com", password="zeep-secret")
out["userIdByLogin"] = app["1.2"].getUserId(login="zeep-user@example.com")
out["usersList"] = list(app["1.2"].listUsers() or [])
auth = guest["1.1"].authenticate(login="zeep-user@example.com", password="zeep-secret", baseUrl="https://zeep.example.com:8443/")
out["sessionId"] = auth.sessionId
out["relayToken"] = auth.relayToken
out["verified"] = app["1.2"].verifySession(sessionId=auth.sessionId)
settings = guest["1.2"].getSettings()
out["settings"] = {"timeout": settings.usersSessionsTimeout, "relay": settings.relayEndpointUrl, "hashes": list(settings.passwordHash)}
out["application"] = {"name": guest["1.1"].getApplication(applicationId=registered.applicationId).name}
# zeep.xsd.Nil sends <x xsi:nil="true"/>, as node-soap and SOAP::Lite send an optional argument
# without a value: absent for an optional field (nothing changes, no new certificate), a fault for a required one.
nil_update = app["1.2"].updateApplication(
    applicationId=registered.applicationId, name=xsd.Nil, displayName="zeep renamed", url=xsd.Nil, certificate=xsd.Nil
)
renamed = guest["1.2"].getApplication(applicationId=registered.applicationId)
out["nilUpdate"] = {"certificate": nil_update, "name": renamed.name, "displayName": renamed.displayName, "url": renamed.url}
out["nilRequired"] = fault_of(lambda: app["1.2"].getUserId(login=xsd.Nil))
guest["1.2"].closeSession(sessionId=auth.sessionId)
out["fault12"] = fault_of(lambda: guest["1.2"].verifySession(sessionId=auth.sessionId))
out["fault11"] = fault_of(lambda: guest["1.1"].verifySession(sessionId=auth.sessionId))
out["guestDenied"] = fault_of(lambda: guest["1.2"].listUsers())
print(json.dumps(out))
