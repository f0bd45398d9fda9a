"""The API's blueprint: flask-smorest's, reading request bodies as standard JSON only, with
one instance of each arguments schema."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON number", name, 0)


class StandardJSONParser(FlaskParser):
    """NaN and Infinity, which Python's parser takes, are an invalid body (400): PostgreSQL's
    json type rejects them, and a JSON writer would store null in their place."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        body = req.get_data(cache=True).decode("utf-8")  # as webargs: UTF-8 only
        return json.loads(body, parse_constant=_refuse_constant)

    def _handle_invalid_json_error(
        self, error: Any, req: flask.Request, *args: Any, **kwargs: Any
    ) -> NoReturn:
        """400, saying what is wrong (webargs says only "Invalid JSON body.")."""
        reason = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        abort(400, exc=error, messages={"json": [f"Invalid JSON body: {reason}"]})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StandardJSONParser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """As flask-smorest's, with a schema class made an instance once, here: webargs would
        make one per request, deep-copying every field (8 % of the HTTP layer's instructions
        on a task completion).  An instance serves any number of requests, threads too:
        marshmallow keeps no state of a load on the schema."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)
