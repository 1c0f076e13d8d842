"""The providers' HTTP APIs: WhatsApp Business Cloud API and Twilio's Messages API (SMS).

Each sender makes one request for one message and says how it went; the worker
(``messaging.delivery``) decides about retries. The base URLs are settings, so tests point
them at a local server.

- WhatsApp: ``POST {WHATSAPP_API_URL}/{version}/{phone-number-id}/messages`` with a Bearer
  token; an approved template (body parameters, quick-reply buttons with payloads) outside the
  24-hour customer-service window, session text or interactive reply buttons inside it. The
  answer's ``messages[0].id`` (a ``wamid``) is what status callbacks name.
- Twilio: ``POST {TWILIO_API_URL}/2010-04-01/Accounts/{AccountSid}/Messages.json``, form
  encoded (``To``, ``From`` or ``MessagingServiceSid``, ``Body``, ``StatusCallback``), HTTP
  Basic with the account SID and auth token; the answer's ``sid`` is what callbacks name.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import urllib3

from api.config import Settings
from api.services.messaging import templates

log = logging.getLogger("berdaya.messaging")
MAX_ANSWER_BYTES = 64 * 1024
# WhatsApp's error for a number that is not on WhatsApp ("message undeliverable").
WHATSAPP_UNREACHABLE = {"131026"}
_pool = urllib3.PoolManager(num_pools=4, maxsize=4, retries=False)


@dataclass(frozen=True)
class Outbound:
    """What a sender needs: where, in which language, what, and the template it comes from."""

    recipient: str
    locale: str
    template: str
    text: str
    params: dict[str, Any]
    # Inside WhatsApp's 24-hour window (she wrote to us in the last day).
    in_session: bool = False


@dataclass(frozen=True)
class Sent:
    """How one request went: the provider's id, or why not and whether to try again."""

    provider_message_id: str | None = None
    failure: str | None = None
    retry: bool = False
    unreachable: bool = False

    @property
    def ok(self) -> bool:
        return self.provider_message_id is not None


def _post(
    url: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int | None, dict[str, Any], str | None]:
    try:
        answer = _pool.request(
            "POST",
            url,
            body=body,
            headers=headers,
            redirect=False,
            timeout=urllib3.Timeout(connect=min(timeout, 5.0), read=timeout),
            preload_content=False,
        )
        raw = answer.read(MAX_ANSWER_BYTES)
        answer.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return None, {}, f"connection failed: {type(error).__name__}"[:300]
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        data = {}
    return answer.status, data if isinstance(data, dict) else {}, None


def _verdict(status: int | None, error: str | None, what: str) -> Sent:
    if status is None:
        return Sent(failure=error, retry=True)
    retry = status == 429 or status >= 500
    return Sent(failure=f"{what} answered {status}", retry=retry)


class WhatsAppSender:
    name = "whatsapp"

    def __init__(self, settings: Settings) -> None:
        self.url = (
            f"{settings.whatsapp_api_url.rstrip('/')}/{settings.whatsapp_api_version}/"
            f"{settings.whatsapp_phone_number_id}/messages"
        )
        self.token = settings.whatsapp_access_token
        self.timeout = settings.messaging_timeout_seconds

    def payload(self, message: Outbound) -> dict[str, Any]:
        to = message.recipient.removeprefix("+")
        base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        choices = templates.buttons(message.template, message.locale)
        name = templates.WHATSAPP_TEMPLATES.get(message.template)
        text = {"preview_url": False, "body": message.text}
        if message.in_session and len(choices) <= 3:
            if not choices:
                return {**base, "type": "text", "text": text}
            return {
                **base,
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": message.text},
                    "action": {
                        "buttons": [
                            {"type": "reply", "reply": {"id": p, "title": label[:20]}}
                            for p, label in choices
                        ]
                    },
                },
            }
        if name is None:
            # No approved template: only session text can carry it (inside the window).
            return {**base, "type": "text", "text": text}
        components: list[dict[str, Any]]
        if message.template.startswith("code."):
            # Authentication templates: the code in the body and in the copy-code button.
            code = str(message.params["code"])
            components = [
                {"type": "body", "parameters": [{"type": "text", "text": code}]},
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [{"type": "text", "text": code}],
                },
            ]
        else:
            components = [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": str(message.params[v])}
                        for v in templates.variables(message.template)
                    ],
                }
            ]
            components += [
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": str(i),
                    "parameters": [{"type": "payload", "payload": p}],
                }
                for i, (p, _) in enumerate(choices)
            ]
        return {
            **base,
            "type": "template",
            "template": {
                "name": name,
                "language": {"code": "en" if message.locale == "en" else "id"},
                "components": components,
            },
        }

    def send(self, message: Outbound) -> Sent:
        body = json.dumps(self.payload(message)).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        status, data, error = _post(self.url, body, headers, self.timeout)
        if status is not None and 200 <= status < 300:
            ids = [m.get("id") for m in data.get("messages", []) if isinstance(m, dict)]
            if ids and isinstance(ids[0], str):
                return Sent(provider_message_id=ids[0])
            return Sent(failure="WhatsApp answered without a message id", retry=True)
        verdict = _verdict(status, error, "WhatsApp")
        code = str((data.get("error") or {}).get("code", "")) if data else ""
        if code:
            verdict = Sent(
                failure=f"{verdict.failure} (error {code})",
                retry=verdict.retry,
                unreachable=code in WHATSAPP_UNREACHABLE,
            )
        return verdict


class TwilioSender:
    name = "sms"

    def __init__(self, settings: Settings) -> None:
        self.url = (
            f"{settings.twilio_api_url.rstrip('/')}/2010-04-01/Accounts/"
            f"{settings.twilio_account_sid}/Messages.json"
        )
        credentials = f"{settings.twilio_account_sid}:{settings.twilio_auth_token}"
        self.authorization = "Basic " + base64.b64encode(credentials.encode()).decode()
        self.sender = settings.twilio_from
        base = settings.public_base_url.rstrip("/")
        self.status_callback = f"{base}/v1/messaging/sms/webhook" if base else ""
        self.timeout = settings.messaging_timeout_seconds

    def form(self, message: Outbound) -> dict[str, str]:
        form = {"To": message.recipient, "Body": message.text}
        if self.sender.startswith("MG"):
            form["MessagingServiceSid"] = self.sender
        else:
            form["From"] = self.sender
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        return form

    def send(self, message: Outbound) -> Sent:
        body = urlencode(self.form(message)).encode()
        headers = {
            "Authorization": self.authorization,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        status, data, error = _post(self.url, body, headers, self.timeout)
        if status is not None and 200 <= status < 300 and isinstance(data.get("sid"), str):
            return Sent(provider_message_id=data["sid"])
        verdict = _verdict(status, error, "Twilio")
        if data.get("code"):
            verdict = Sent(failure=f"{verdict.failure} (error {data['code']})", retry=verdict.retry)
        return verdict
