"""Hostile requests against a running capture process: error answers as an amplifier,
idempotency keys across clients and channels, unstorable numbers, reshaped signed SMS, forged
X-Forwarded-For, and what the edge exposes. Legitimate leads are measured beside each attack."""

import asyncio
import json
from urllib.parse import urlencode

import httpx
import pytest
from harness import Latencies, eventually, is_ready, legitimate_posts, message_sid
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from twilio.request_validator import RequestValidator

pytestmark = pytest.mark.e2e
TOKEN = "twilio-auth-token"
PUBLIC_URL = "https://leads.example.com"
ACCOUNT = "AC" + "1" * 32
JSON = {"content-type": "application/json"}


async def started(start_service, settings, **extra) -> str:
    url = start_service("capture", settings, **{"CAPTURE_RATE_LIMIT": "0", **extra})
    await eventually(lambda: is_ready(url), timeout=30)
    return url


def client_from(address: str, **arguments) -> httpx.AsyncClient:
    """A client whose connections come from this loopback address (127.0.0.0/8 is all local)."""
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=address), **arguments)


async def test_invalid_fields_cost_little_and_legitimate_posts_keep_their_latency(settings, start_service):
    url = await started(start_service, settings)
    baseline = Latencies("legitimate, before")
    await legitimate_posts(url, baseline, 20, tag="before")
    # Serialized once: the attacker's own CPU must not be what slows the legitimate client here.
    many_keys = json.dumps({f"k{i}": [i] for i in range(2000)}).encode()  # ~25 KB, under the limit
    megabyte = json.dumps({"email": "a@example.com", **{f"k{i}": [i] for i in range(60_000)}}).encode()
    sizes = []

    async def attack():
        async with client_from("127.0.0.2", timeout=30) as client:
            for n in range(100):
                body = megabyte if n % 10 == 0 else many_keys
                try:
                    response = await client.post(f"{url}/v1/leads/popup", content=body, headers=JSON)
                except (httpx.ReadError, httpx.WriteError):
                    assert body is megabyte  # answered 413 from Content-Length and closed mid-upload
                    continue
                assert response.status_code in (413, 422), response.text
                sizes.append(len(response.content))

    during = Latencies("legitimate, beside 100 bodies of thousands of invalid fields")
    await asyncio.gather(attack(), legitimate_posts(url, during, 20, tag="during"))
    print(baseline.report(), during.report(), f"largest error answer {max(sizes)} bytes", sep="\n")
    assert max(sizes) < 2048
    assert during.p95() < max(0.5, 10 * baseline.p95())
    async with httpx.AsyncClient() as client:
        bad = await client.post(f"{url}/v1/leads/landing-page", json={f"f{i}": [] for i in range(40)})
    assert len(bad.json()["fields"]) == 20 and "more fields are invalid" in bad.json()["detail"]


async def test_idempotency_keys_belong_to_one_client_one_channel_one_body(settings, start_service):
    url = await started(start_service, settings)
    key = {"Idempotency-Key": "order-1"}
    async with client_from("127.0.0.1") as first, client_from("127.0.0.2") as second:
        ada = await first.post(f"{url}/v1/leads/popup", json={"email": "ada@example.com"}, headers=key)
        bob = await second.post(f"{url}/v1/leads/popup", json={"email": "bob@example.com"}, headers=key)
        assert ada.status_code == bob.status_code == 202 and ada.json()["lead_id"] != bob.json()["lead_id"]
        again = await first.post(f"{url}/v1/leads/popup", json={"email": "ada@example.com"}, headers=key)
        assert again.json() == ada.json()
        other = await first.post(f"{url}/v1/leads/popup", json={"email": "eve@example.com"}, headers=key)
        assert other.status_code == 409 and other.headers["content-type"] == "application/problem+json"
        long = await first.post(
            f"{url}/v1/leads/popup", json={"email": "x@example.com"}, headers={"Idempotency-Key": "k" * 3000}
        )
        assert long.status_code == 422 and long.json()["fields"][0]["name"] == "Idempotency-Key"
        # A form post cannot claim an SMS's id: the genuine STOP behind it still withdraws consent.
        sid = message_sid(7)
        squat = {"phone": "+14155550100", "consent": {"sms": True}}
        assert (
            await first.post(f"{url}/v1/leads/popup", json=squat, headers={"Idempotency-Key": sid})
        ).status_code == 202
        stop = await first.post(
            f"{url}/v1/leads/sms", data={"From": "+14155550100", "Body": "STOP", "MessageSid": sid}
        )
        assert stop.status_code == 200
    engine = create_async_engine(settings.database_url)
    async with engine.connect() as connection:
        profile = await connection.scalar(
            text("SELECT profile FROM capture.leads WHERE phone = '+14155550100'")
        )
    await engine.dispose()
    assert profile["consent"]["sms"]["granted"] is False


async def test_unstorable_numbers_are_422_and_do_not_slow_the_writer(settings, start_service):
    url = await started(start_service, settings)
    baseline = Latencies("legitimate, before")
    await legitimate_posts(url, baseline, 30, tag="before")

    async def attack():
        async with client_from("127.0.0.2") as client:
            for n in range(30):
                raw = b'{"email": "p%d@example.com", "score": %s}' % (n, b"1e999" if n % 2 else b"NaN")
                response = await client.post(
                    f"{url}/v1/leads/popup", content=raw, headers={"content-type": "application/json"}
                )
                assert response.status_code == 422 and response.json()["fields"][0]["name"] == "score"
                await asyncio.sleep(0.05)

    during = Latencies("legitimate, beside non-finite numbers")
    await asyncio.gather(attack(), legitimate_posts(url, during, 30, tag="during"))
    print(baseline.report(), during.report(), sep="\n")
    assert during.p95() < max(0.5, 10 * baseline.p95())


async def post_sms(client: httpx.AsyncClient, url: str, params: list[tuple[str, str]]) -> httpx.Response:
    """Posts the parameters as given (repeats and order kept), signed the way Twilio signs."""
    headers = {"content-type": "application/x-www-form-urlencoded", **signed(params)}
    return await client.post(f"{url}/v1/leads/sms", content=urlencode(params), headers=headers)


def signed(params: list[tuple[str, str]]) -> dict:
    return {
        "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(
            f"{PUBLIC_URL}/v1/leads/sms", dict(params)
        )
    }


async def test_a_signed_sms_cannot_be_reshaped_repeated_or_flooded(settings, start_service):
    url = await started(
        start_service,
        settings,
        SMS_AUTH_TOKEN=TOKEN,
        CAPTURE_PUBLIC_URL=PUBLIC_URL,
        SMS_ACCOUNT_SID=ACCOUNT,
        CAPTURE_SMS_RATE_LIMIT="5",
    )
    sid = message_sid(1)
    genuine = [("AccountSid", ACCOUNT), ("Body", "START"), ("From", "+14155550100"), ("MessageSid", sid)]
    # The same signed string, "AccountSid…BodySTARTFrom+1415…MessageSidSM…", cut elsewhere:
    reshaped = [
        [("AccountSid", ACCOUNT + "BodySTART"), ("From", "+14155550100"), ("MessageSid", sid)],
        [("AccountSid", ACCOUNT), ("BodySTARTFrom", "+14155550100"), ("MessageSid", sid)],
        [("AccountSid", ACCOUNT), ("Body", "START"), ("From", "+14155550100MessageSid" + sid)],
    ]
    async with httpx.AsyncClient() as client:
        for params in reshaped:
            assert signed(params) == signed(genuine), "the reshaped request carries a valid signature"
            response = await post_sms(client, url, params)
            assert response.status_code == 422, response.text
        repeated = [*genuine, ("Body", "STOP")]
        response = await post_sms(client, url, repeated)
        assert response.status_code in (403, 422)
        wrong_account = [("AccountSid", "AC" + "2" * 32), *genuine[1:]]
        response = await post_sms(client, url, wrong_account)
        assert response.status_code == 422 and response.json()["fields"][0]["name"] == "AccountSid"
        statuses = []
        for n in range(8):
            params = [*genuine[:3], ("MessageSid", message_sid(100 + n))]
            statuses.append((await post_sms(client, url, params)).status_code)
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 3, statuses


async def test_forged_forwarded_for_neither_multiplies_a_client_nor_grows_memory(settings, start_service):
    url = await started(start_service, settings, CAPTURE_RATE_LIMIT="10")
    async with httpx.AsyncClient() as client:
        statuses = [
            (
                await client.post(
                    f"{url}/v1/leads/popup",
                    json={"email": f"f{n}@example.com"},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"},
                )
            ).status_code
            for n in range(30)
        ]
        assert statuses.count(202) == 10 and statuses.count(429) == 20, "one client, one bucket"
        page = await client.post(
            f"{url}/v1/leads/landing-page",
            data={"email": "late@example.com"},
            headers={"accept": "text/html", "X-Forwarded-For": "198.51.100.1"},
        )
        assert page.status_code == 429 and "try again" in page.text.lower() and page.headers["retry-after"]
        huge = await client.post(
            f"{url}/v1/leads/popup",
            json={"email": "h@example.com"},
            headers={"X-Forwarded-For": "x" * 100_000},
        )
        assert huge.status_code == 431


async def test_the_edge_answers_with_safe_headers_and_hides_what_is_not_public(settings, start_service):
    url = await started(
        start_service,
        settings,
        LEADFLOW_ENV="production",
        CAPTURE_SMS_ENABLED="false",
        LEADFLOW_API_KEY="a-real-secret-for-the-test",
    )
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{url}/v1/leads/popup", json={"email": "ada@example.com"})
        headers = response.headers
        assert response.status_code == 202 and "server" not in headers
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["strict-transport-security"].startswith("max-age=")
        assert (await client.get(f"{url}/docs")).status_code == 404
        assert (await client.get(f"{url}/metrics")).status_code == 401
        assert (await client.get(f"{url}/openapi.json")).status_code == 200
        sms = await client.post(f"{url}/v1/leads/sms", data={"From": "+14155550100"})
        assert sms.status_code == 404


async def test_production_capture_refuses_to_start_without_sms_verification(
    settings, start_service, tmp_path
):
    url = start_service("capture", settings, LEADFLOW_ENV="production", LEADFLOW_API_KEY="a-real-secret-x")

    def refusal() -> str:
        logs = "".join(path.read_text(errors="replace") for path in tmp_path.glob("capture-*.log"))
        return "SMS_AUTH_TOKEN" in logs and logs

    logs = await eventually(refusal, timeout=20, interval=0.3)
    assert "CAPTURE_PUBLIC_URL" in logs and not await is_ready(url)


async def test_a_client_leaving_mid_body_logs_no_traceback(settings, start_service, tmp_path):
    url = await started(start_service, settings)
    host, port = url.removeprefix("http://").split(":")
    for _ in range(5):
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            b"POST /v1/leads/popup HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b'content-length: 1000\r\n\r\n{"email": '
        )
        await writer.drain()
        writer.close()
    await asyncio.sleep(1)
    async with httpx.AsyncClient() as client:
        assert (
            await client.post(f"{url}/v1/leads/popup", json={"email": "ok@example.com"})
        ).status_code == 202
    logs = "".join(path.read_text(errors="replace") for path in tmp_path.glob("capture-*.log"))
    assert "Traceback" not in logs and '"exception"' not in logs
