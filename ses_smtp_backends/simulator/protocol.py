"""One SMTP connection to the simulator, speaking SES's dialect on top of aiosmtpd.

aiosmtpd does the SMTP parsing and STARTTLS; this subclass changes what SES does
differently: the EHLO keywords, AUTH refused before TLS, the exact reply texts, a
reply (not a silent close) when the idle timer fires, a 421 when too many connections
are open, per-reply latency, and the scripted faults of :mod:`.faults`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from typing import TYPE_CHECKING, AnyStr

from aiosmtpd.smtp import SMTP, Session

from .rules import SES_HOSTNAME, SESReplies, greeting_ident

if TYPE_CHECKING:
    from .mailroom import Mailroom

log = logging.getLogger(__name__)

_EMPTY_SENDER = re.compile(r"FROM:\s*<>.*", re.IGNORECASE)
_BRACKETED = re.compile(r"\s*<([^<>]+)>(.*)")


class _Session(Session):
    # aiosmtpd still assigns the deprecated ``login_data`` after AUTH, and its property
    # warns on every assignment; a plain attribute keeps warnings-as-errors runs clean.
    login_data = None


class SESProtocol(SMTP):
    def __init__(
        self,
        mailroom: Mailroom,
        *,
        loop: asyncio.AbstractEventLoop,
        tls_context: ssl.SSLContext,
        implicit_tls: bool,
        idle_timeout: float,
        latency: float,
    ) -> None:
        self.mailroom = mailroom
        self._implicit_tls = implicit_tls
        self._latency = latency
        self._greeted = False
        self._over_connection_limit = False
        self._registered = False
        super().__init__(
            mailroom,
            data_size_limit=None,  # SES's limit is checked after DATA, with SES's reply
            enable_SMTPUTF8=False,  # SES does not offer SMTPUTF8
            hostname=SES_HOSTNAME,
            ident=greeting_ident(),
            tls_context=None if implicit_tls else tls_context,
            timeout=idle_timeout,
            authenticator=mailroom.authenticate,
            auth_require_tls=False,  # enforced in smtp_AUTH, with SES's reply text
            loop=loop,
        )

    def _create_session(self) -> Session:
        return _Session(self.loop)

    # --- connection life ---------------------------------------------------------------

    @property
    def secure(self) -> bool:
        return self._implicit_tls or self._tls_protocol is not None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = not self._registered  # called again when STARTTLS completes
        super().connection_made(transport)
        if first:
            self._registered = True
            self._over_connection_limit = not self.mailroom.connection_opened(self)

    def connection_lost(self, error: Exception | None) -> None:
        self.mailroom.connection_closed(self)
        super().connection_lost(error)

    def drop(self) -> None:
        """Cut the connection with no reply (a network failure, as the client sees it)."""
        if isinstance(self.transport, asyncio.Transport):
            self.transport.abort()
        elif self.transport is not None:
            self.transport.close()

    def _timeout_cb(self) -> None:
        # SES answers an idle client before it hangs up (SES_FACTS row 5); aiosmtpd
        # would close silently.
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(SESReplies.TIMEOUT.encode("ascii") + b"\r\n")  # type: ignore[attr-defined]
        super()._timeout_cb()  # type: ignore[no-untyped-call]  # aiosmtpd leaves it untyped

    async def push(self, status: AnyStr) -> None:
        if self.transport is None or self.transport.is_closing():
            return  # dropped or closed: a real server would not answer either
        text = status.decode("ascii") if isinstance(status, bytes) else status
        hang_up = text.startswith("421")  # SES closes the connection after a 421
        if not self._greeted:
            self._greeted = True
            greeting = self._greeting(text)
            if greeting is None:
                return
            text = greeting
            hang_up = hang_up or not text.startswith("220")
        if self._latency:
            await asyncio.sleep(self._latency)
            if self.transport is None or self.transport.is_closing():
                return
        if text[:3] in ("500", "501", "502", "503"):
            self.mailroom.count_protocol_error()
        await super().push(text)
        if hang_up and self.transport is not None:
            self.transport.close()

    def _greeting(self, normal: str) -> str | None:
        """The greeting to send: the normal one, a 421, an injected reply, or None (drop)."""
        if self._over_connection_limit:
            return SESReplies.TOO_MANY_CONNECTIONS
        fault = self.mailroom.faults.take("CONNECT")
        if fault is None:
            return normal
        if fault.reply is None:
            self.drop()
        return fault.reply

    async def _serve_fault(self, stage: str) -> bool:
        fault = self.mailroom.faults.take(stage)
        if fault is None:
            return False
        if fault.reply is None:
            self.drop()
        else:
            await self.push(fault.reply)
        return True

    # --- commands ------------------------------------------------------------------------

    async def smtp_EHLO(self, hostname: str) -> None:
        if await self._serve_fault("EHLO"):
            return
        if not hostname:
            await self.push("501 Syntax: EHLO hostname")
            return
        self._set_rset_state()  # type: ignore[no-untyped-call]  # aiosmtpd leaves it untyped
        assert self.session is not None
        self.session.extended_smtp = True
        self.session.host_name = hostname
        keywords = [self.hostname, "8BITMIME"]
        if not self.secure:
            keywords.append("STARTTLS")
        keywords += ["AUTH PLAIN LOGIN", "Ok"]
        for keyword in keywords[:-1]:
            await self.push("250-" + keyword)
        await self.push("250 " + keywords[-1])

    async def smtp_AUTH(self, arg: str) -> None:
        if await self._serve_fault("AUTH"):
            return
        if not self.secure:
            await self.push(SESReplies.TLS_REQUIRED)
            return
        await super().smtp_AUTH(arg)

    async def _refuse_unauthenticated(self) -> bool:
        if await self.check_helo_needed():
            return True
        assert self.session is not None
        if not self.session.authenticated:
            await self.push(SESReplies.AUTHENTICATION_REQUIRED)
            return True
        return False

    async def smtp_MAIL(self, arg: str | None) -> None:
        if await self._serve_fault("MAIL") or await self._refuse_unauthenticated():
            return
        if arg and _EMPTY_SENDER.fullmatch(arg.strip()):
            await self.push(SESReplies.EMPTY_SENDER)
            return
        await super().smtp_MAIL(arg)

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        address, rest = super()._getaddr(arg)
        if address is None:  # unparsable: hand it on, so SES's rules word the 553
            bracketed = _BRACKETED.match(arg)
            if bracketed:
                return bracketed.group(1), bracketed.group(2)
        return address, rest

    async def smtp_RCPT(self, arg: str | None) -> None:
        if await self._serve_fault("RCPT") or await self._refuse_unauthenticated():
            return
        await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg: str) -> None:
        if await self._serve_fault("DATA") or await self._refuse_unauthenticated():
            return
        recipients = self.envelope is not None and self.envelope.rcpt_tos
        if recipients and self.mailroom.faults.take("MID_DATA") is not None:
            await self.push(SESReplies.START_DATA)
            await self._reader.read(1)  # the client has started sending the message
            self.drop()
            return
        await super().smtp_DATA(arg)

    async def handle_exception(self, error: Exception) -> str:
        # A bug in the simulator shows in the log and, to the client, as a server error.
        log.error("SES simulator error", exc_info=error)
        return SESReplies.LOCAL_PROCESSING_ERROR

    def __repr__(self) -> str:
        peer = self.session.peer if self.session else None
        return f"<SESProtocol peer={peer!r} secure={self.secure}>"
