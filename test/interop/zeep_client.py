"""Drives ssod with python3-zeep, a SOAP client nobody here wrote, built from the served WSDL.

Usage: zeep_client.py WSDL_URL CA_FILE WORK_DIR
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


def client(cert=None):
    session = requests.Session()
    # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment would override session.verify
    # (requests merges environment settings over the session's); trust only ssod's CA.
    session.trust_env = False
    session.verify = CA
    if cert:
        session.cert = cert
    return Client(WSDL, transport=Transport(session=session), settings=Settings(strict=True))


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


out = {}
guest = ports(client())
out["ports"] = sorted(guest.keys())
registered = guest["1.2"].registerApplication(
    name="zeep", displayName="zeep client", version="4", capabilities="", url="https://zeep.example.com:8443/"
)
out["applicationId"] = registered.applicationId
pem = registered.certificate
key_end = pem.index("-----END PRIVATE KEY-----") + len("-----END PRIVATE KEY-----")
key_file, cert_file = os.path.join(WORK, "app.key"), os.path.join(WORK, "app.crt")
with open(key_file, "w") as f:
    f.write(pem[:key_end] + "\n")
with open(cert_file, "w") as f:
    f.write(pem[key_end:].strip() + "\n")

app = ports(client((cert_file, key_file)))
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
