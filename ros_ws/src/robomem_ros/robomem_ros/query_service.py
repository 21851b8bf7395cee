"""The ``~/query`` and ``~/list_objects`` services: check the request, ask the memory, fill the response.

A bad request (empty or huge text, unknown kind, max_results out of range) or a memory error gives
``success=false`` and a one-line ``message``; the node keeps serving. The answering itself is
``memory.ask(text, kind=None, max_results=N)`` of the robomem library.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable

from rclpy.callback_groups import CallbackGroup
from rclpy.node import Node

from robomem.errors import RobomemError
from robomem.types import ANSWER_KINDS, Answer, ObjectRecord
from robomem_interfaces.srv import ListObjects, Query
from robomem_ros import conversions as conv

AskFn = Callable[[str, str | None, int], Answer]


def check_query(text: str, kind: str, max_results: int, max_text_chars: int, max_results_limit: int) -> str | None:
    """What is wrong with a query request, or None when it can be asked."""
    if not text.strip():
        return "text is empty: ask a question, e.g. 'where is the bed?'"
    if len(text) > max_text_chars:
        return f"text has {len(text)} characters, more than the {max_text_chars} allowed: shorten the question"
    if kind and kind not in ANSWER_KINDS:
        return f"kind {kind!r} is unknown: use '' (auto) or one of {', '.join(ANSWER_KINDS)}"
    if not 1 <= max_results <= max_results_limit:
        return f"max_results is {max_results}: ask for 1 to {max_results_limit} results"
    return None


class QueryServer:
    """Serves Query and ListObjects on ``node``; ``ask`` and ``objects`` must be safe to call from any thread
    (memory_node runs them on its memory's owner thread)."""

    def __init__(self, node: Node, ask: AskFn, objects: Callable[[], list[ObjectRecord]], frame_id: str,
                 max_text_chars: int, max_results_limit: int, group: CallbackGroup | None = None):
        self.node, self._ask, self._objects = node, ask, objects
        self.frame_id, self.max_text_chars, self.max_results_limit = frame_id, max_text_chars, max_results_limit
        self.served = 0
        self.query_srv = node.create_service(Query, "~/query", self.on_query, callback_group=group)
        self.list_srv = node.create_service(ListObjects, "~/list_objects", self.on_list, callback_group=group)

    def on_query(self, request: Query.Request, response: Query.Response) -> Query.Response:
        self.served += 1
        problem = check_query(request.text, request.kind, int(request.max_results), self.max_text_chars,
                              self.max_results_limit)
        if problem:
            response.success, response.message = False, problem
            return response
        try:
            answer = self._ask(request.text, request.kind or None, int(request.max_results))
        except RobomemError as e:
            response.success, response.message = False, str(e)
            return response
        except Exception as e:  # a bug must not take the service down
            self.node.get_logger().error(f"query {request.text!r} failed:\n{traceback.format_exc()}")
            response.success, response.message = False, f"internal error: {type(e).__name__}: {e}"
            return response
        return conv.fill_query_response(response, answer, self.node.get_clock().now().to_msg(), self.frame_id)

    def on_list(self, request: ListObjects.Request, response: ListObjects.Response) -> ListObjects.Response:
        try:
            objects = self._objects()
        except RobomemError as e:
            response.success, response.message = False, str(e)
            return response
        except Exception as e:  # a bug must not take the service down
            self.node.get_logger().error(f"list_objects failed:\n{traceback.format_exc()}")
            response.success, response.message = False, f"internal error: {type(e).__name__}: {e}"
            return response
        needle = request.label_filter.strip().lower()
        chosen = [o for o in objects if needle in o.label.lower()] if needle else list(objects)
        chosen.sort(key=lambda o: o.id)
        if request.max_results:
            chosen = chosen[: int(request.max_results)]
        response.success = True
        response.objects = [conv.object_to_info(o) for o in chosen]
        return response
