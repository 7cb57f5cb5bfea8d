"""The Python client a civic-tech developer would pick, against a real server: gql.

The same scenario as libraries.mjs: gql over HTTP (aiohttp) pages through every dataset and
makes a mutation with a token; gql over WebSockets (graphql-transport-ws) sees the change,
disconnects, and a new connection resumes from the first event's cursor without missing the
change made while no one listened; a refused token is seen as the protocol's 4403 close.
Prints one JSON object with what the client got, and exits non-zero on any mismatch.

usage: python libraries.py <http URL of /graphql> <ws URL of /graphql/ws> <officer token> <dataset id>
"""

import asyncio
import json
import sys

from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.websockets import WebsocketsTransport

PAGE = """
query($after: String) {
  datasets(first: 7, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id }
  }
}"""
VERSION = "query($id: ID!) { dataset(id: $id) { disclosure { version } } }"
CHANGE = """
mutation($id: ID!, $v: Int!, $s: DisclosureStatus!) {
  changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: $s }) {
    disclosure { status }
  }
}"""
SUB = """
subscription($id: [ID!], $after: String) {
  disclosureChanged(filter: { datasetId: $id }, after: $after) { cursor datasetId toStatus }
}"""
WITHIN = 10  # seconds for any one event


def ws_transport(url, init_payload=None):
    return WebsocketsTransport(
        url=url,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload=init_payload or {},
    )


async def first_event(session, variables):
    """Subscribes, takes the first event and unsubscribes (the library sends `complete`)."""
    async for result in session.subscribe(GraphQLRequest(SUB, variable_values=variables)):
        return result["disclosureChanged"]
    raise RuntimeError("the subscription completed without an event")


def close_code(error):
    """The WebSocket close code behind a gql transport error, if the server closed."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        frame = getattr(error, "rcvd", None)
        if frame is not None:
            return frame.code
        error = error.__cause__ or error.__context__
    return None


async def main(http_url, ws_url, token, dataset_id):
    out = {}

    # A paged read: follow endCursor until the end.
    ids = []
    async with Client(transport=AIOHTTPTransport(url=http_url)) as anonymous:
        after = None
        while True:
            r = await anonymous.execute(GraphQLRequest(PAGE, variable_values={"after": after}))
            page = r["datasets"]
            out["totalCount"] = page["totalCount"]
            ids.extend(n["id"] for n in page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    out["paged"] = len(ids)
    out["distinct"] = len(set(ids))
    out["ids"] = ids

    # A subscription, and a mutation with the token that it sees.
    authed_transport = AIOHTTPTransport(url=http_url, headers={"Authorization": f"Bearer {token}"})
    async with Client(transport=authed_transport) as authed:

        async def change(status):
            v = await authed.execute(GraphQLRequest(VERSION, variable_values={"id": dataset_id}))
            r = await authed.execute(
                GraphQLRequest(
                    CHANGE,
                    variable_values={
                        "id": dataset_id,
                        "v": v["dataset"]["disclosure"]["version"],
                        "s": status,
                    },
                )
            )
            return r["changeDisclosure"]["disclosure"]["status"]

        first_transport = ws_transport(ws_url)
        async with Client(transport=first_transport) as first:
            out["protocol"] = first_transport.subprotocol
            waiting = asyncio.create_task(first_event(first, {"id": [dataset_id]}))
            await asyncio.sleep(0.3)
            out["mutation"] = await change("UNDER_REVIEW")
            ev1 = await asyncio.wait_for(waiting, WITHIN)
        out["first"] = ev1["toStatus"]
        out["firstCursor"] = ev1["cursor"]

        # While no one listens, another change; a new client resumes after the first event's cursor.
        out["mutation2"] = await change("OPEN")
        async with Client(transport=ws_transport(ws_url)) as second:
            ev2 = await asyncio.wait_for(
                first_event(second, {"id": [dataset_id], "after": ev1["cursor"]}), WITHIN
            )
        out["resumed"] = ev2["toStatus"]
        out["resumedCursor"] = ev2["cursor"]
        out["resumedDataset"] = ev2["datasetId"]

    # A bad token: the library sees the protocol's 4403 close.
    try:
        async with Client(transport=ws_transport(ws_url, {"token": "inv_nope"})) as refused:
            await asyncio.wait_for(first_event(refused, {"id": [dataset_id]}), WITHIN)
        out["badToken"] = None
    except Exception as e:  # noqa: BLE001 - the refusal is what we are after
        out["badToken"] = close_code(e)
        if out["badToken"] is None:
            out["badTokenError"] = repr(e)

    return out


def mismatches(out):
    total = out["totalCount"]
    expected = {
        "paged": total,
        "distinct": total,
        "protocol": "graphql-transport-ws",
        "mutation": "UNDER_REVIEW",
        "first": "UNDER_REVIEW",
        "mutation2": "OPEN",
        "resumed": "OPEN",
        "badToken": 4403,
    }
    return [f"{k}: expected {v!r}, got {out.get(k)!r}" for k, v in expected.items() if out.get(k) != v]


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().splitlines()[-1])
    summary = asyncio.run(main(*sys.argv[1:]))
    wrong = mismatches(summary)
    if summary["resumedDataset"] != sys.argv[4]:
        wrong.append(f"resumedDataset: expected {sys.argv[4]!r}, got {summary['resumedDataset']!r}")
    if summary["resumedCursor"] == summary["firstCursor"]:
        wrong.append("the resumed event repeats the first one")
    print(json.dumps(summary, ensure_ascii=False))
    for w in wrong:
        print(w, file=sys.stderr)
    sys.exit(1 if wrong else 0)
