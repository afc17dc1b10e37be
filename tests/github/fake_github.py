"""A fake of the few GitHub REST endpoints the action calls, served on 127.0.0.1.

Issue comments live in memory, lists are paged as GitHub pages them (`per_page` up to 100, a
`Link` header with `next` and `last`), every call needs `Authorization: Bearer <token>` (401
otherwise), and, as with the real `GITHUB_TOKEN`, `GET /user` answers 403 for a bot token.
Every request is recorded so tests can check what the action sent.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BOT = "github-actions[bot]"
DOCS = "https://docs.github.com/rest"


@dataclass
class Account:
    """Who a token acts as; a bot (GITHUB_TOKEN, an app) cannot call `GET /user`."""

    login: str
    type: str = "User"

    @property
    def can_ask_who(self) -> bool:
        return self.type != "Bot"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    authorization: str


@dataclass
class FakeGitHub:
    accounts: dict[str, Account] = field(default_factory=dict)
    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    commit_pulls: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    _next_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.accounts.clear()
            self.comments.clear()
            self.commit_pulls.clear()
            self.requests.clear()

    # -- test helpers ---------------------------------------------------------------------------

    def add_comment(
        self, repo: str, number: int, body: str, login: str = "octocat", type: str = "User"
    ) -> dict[str, Any]:
        with self._lock:
            return self._create(repo, number, body, Account(login, type))

    def comments_on(self, repo: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self.comments.get((repo, number), [])]

    def marked(self, repo: str, number: int, marker: str) -> list[dict[str, Any]]:
        return [c for c in self.comments_on(repo, number) if marker in c["body"]]

    def merged_pull(self, repo: str, sha: str, number: int) -> None:
        """Make `sha` the merge commit of pull request `number`."""
        pull = {"number": number, "merged_at": "2026-01-01T00:00:00Z", "merge_commit_sha": sha}
        self.commit_pulls[(repo, sha)] = [pull]

    def calls(self, method: str, path_part: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    # -- the API --------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/user", self._user),
                Route(
                    "/repos/{owner}/{repo}/issues/{number:int}/comments",
                    self._issue_comments,
                    methods=["GET", "POST"],
                ),
                Route(
                    "/repos/{owner}/{repo}/issues/comments/{comment_id:int}",
                    self._edit_comment,
                    methods=["PATCH"],
                ),
                Route("/repos/{owner}/{repo}/commits/{sha}/pulls", self._commit_pulls),
            ]
        )

    def _authenticate(self, request: Request) -> Account | Response:
        header = request.headers.get("authorization", "")
        self.requests.append(
            Recorded(request.method, request.url.path, dict(request.query_params), header)
        )
        scheme, _, token = header.partition(" ")
        account = self.accounts.get(token) if scheme.lower() == "bearer" else None
        if account is None:
            return _error(401, "Bad credentials")
        return account

    async def _user(self, request: Request) -> Response:
        account = self._authenticate(request)
        if isinstance(account, Response):
            return account
        if not account.can_ask_who:
            return _error(403, "Resource not accessible by integration")
        return JSONResponse({"login": account.login, "type": account.type})

    async def _issue_comments(self, request: Request) -> Response:
        account = self._authenticate(request)
        if isinstance(account, Response):
            return account
        repo = f"{request.path_params['owner']}/{request.path_params['repo']}"
        number = int(request.path_params["number"])
        if request.method == "POST":
            body = (await request.json()).get("body")
            if not isinstance(body, str) or not body:
                return _error(422, "Validation Failed")
            if len(body) > 65_536:
                return _error(422, "Validation Failed: body is too long (maximum is 65536)")
            with self._lock:
                return JSONResponse(self._create(repo, number, body, account), status_code=201)
        try:
            per_page = min(int(request.query_params.get("per_page", "30")), 100)
            page = max(int(request.query_params.get("page", "1")), 1)
        except ValueError:
            return _error(400, "Invalid page")
        with self._lock:
            items = [dict(c) for c in self.comments.get((repo, number), [])]
        last = max((len(items) + per_page - 1) // per_page, 1)
        headers = {}
        if page < last:
            at = request.url.include_query_params
            headers["Link"] = (
                f'<{at(page=page + 1, per_page=per_page)}>; rel="next", '
                f'<{at(page=last, per_page=per_page)}>; rel="last"'
            )
        start = (page - 1) * per_page
        return JSONResponse(items[start : start + per_page], headers=headers)

    async def _edit_comment(self, request: Request) -> Response:
        account = self._authenticate(request)
        if isinstance(account, Response):
            return account
        repo = f"{request.path_params['owner']}/{request.path_params['repo']}"
        wanted = int(request.path_params["comment_id"])
        body = (await request.json()).get("body")
        with self._lock:
            for (owner_repo, _), comments in self.comments.items():
                for comment in comments:
                    if owner_repo != repo or comment["id"] != wanted:
                        continue
                    if comment["user"]["login"] != account.login:
                        return _error(403, "You cannot edit another user's comment")
                    comment["body"] = body
                    comment["updated_at"] = _now()
                    return JSONResponse(dict(comment))
        return _error(404, "Not Found")

    async def _commit_pulls(self, request: Request) -> Response:
        account = self._authenticate(request)
        if isinstance(account, Response):
            return account
        repo = f"{request.path_params['owner']}/{request.path_params['repo']}"
        return JSONResponse(self.commit_pulls.get((repo, request.path_params["sha"]), []))

    def _create(self, repo: str, number: int, body: str, author: Account) -> dict[str, Any]:
        self._next_id += 1
        comment = {
            "id": self._next_id,
            "body": body,
            "user": {"login": author.login, "type": author.type},
            "html_url": f"https://github.com/{repo}/pull/{number}#issuecomment-{self._next_id}",
            "created_at": _now(),
            "updated_at": _now(),
        }
        self.comments.setdefault((repo, number), []).append(comment)
        return dict(comment)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message, "documentation_url": DOCS}, status_code=status)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class FakeGitHubServer:
    """Serves a `FakeGitHub` with uvicorn in a background thread, on a port the OS picks."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def __enter__(self) -> FakeGitHub:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        self._socket = sock
        self.fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            self.fake.app(), log_level="warning", access_log=False, lifespan="off"
        )
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-github", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake GitHub API did not start")
            time.sleep(0.005)
        return self.fake

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
