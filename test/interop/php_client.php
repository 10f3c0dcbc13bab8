<?php
// Drives ssod's extensions (docs/EXTENSIONS.md) with PHP's SoapClient, built from /soap?wsdl=ext.
// Usage: php php_client.php EXT_WSDL_URL CA_FILE CLIENT_PEM_FILE USER_ID LOGIN PASSWORD
// CLIENT_PEM_FILE holds the application's key and certificate. Prints one JSON object; the Node test asserts on it.
[, $wsdl, $ca, $pem, $userId, $login, $password] = $argv;

function client(string $wsdl, string $ca, ?string $pem, int $version): SoapClient
{
    $ssl = ['cafile' => $ca, 'verify_peer' => true, 'verify_peer_name' => true];
    if ($pem !== null) {
        $ssl['local_cert'] = $pem;
    }
    return new SoapClient($wsdl, [
        'soap_version' => $version,
        'cache_wsdl' => WSDL_CACHE_NONE,
        'exceptions' => true,
        'trace' => true,
        'stream_context' => stream_context_create(['ssl' => $ssl]),
    ]);
}

function fault_of(callable $call): ?array
{
    try {
        $call();
    } catch (SoapFault $fault) {
        return ['code' => $fault->faultcode, 'message' => $fault->getMessage()];
    }
    return null;
}

$out = [];
$app = client($wsdl, $ca, $pem, SOAP_1_2);
$out['functions'] = $app->__getFunctions();
$out['method'] = $app->getSignOnMethod(['userId' => $userId])->method;
$guest = client($wsdl, $ca, null, SOAP_1_1);
$auth = $guest->authenticate(['login' => $login, 'password' => $password, 'originatingIp' => '203.0.113.7']);
$out['authenticated'] = $auth->userId;
$out['authenticateRequest'] = $guest->__getLastRequest();
$out['badIp'] = fault_of(fn () => $guest->authenticate(['login' => $login, 'password' => $password, 'originatingIp' => 'not-an-ip']));
echo json_encode($out), "\n";
