"""CloudFormation values as they would be locally: `Ref`, `Fn::Sub` and parameters through
aws-sam-translator's own `IntrinsicsResolver` (what SAM CLI uses), `Fn::GetAtt`, `Fn::Join`
and `Fn::Select` over the local names of the template's resources, and dynamic references
(`{{resolve:secretsmanager:...}}`, `{{resolve:ssm:...}}`), which only CloudFormation can
resolve, replaced by a generated local value.

A value that stays unresolved (an attribute only the cloud knows) is reported, never
passed to the function as a dict.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

#: CloudFormation's pseudo parameters, as a local account would have them.
ACCOUNT = "123456789012"

#: `{{resolve:service:reference}}`: CloudFormation resolves these at deploy time
#: (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html).
DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):[^}]*\}\}")


class Unresolved(Exception):
    """An intrinsic function the emulator cannot evaluate locally."""


def pseudo_parameters(region: str, stack: str) -> dict[str, str]:
    return {
        "AWS::Region": region,
        "AWS::AccountId": ACCOUNT,
        "AWS::StackName": stack,
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{stack}/local",
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NoValue": "",
    }


class Resolver:
    """Evaluates intrinsics against `refs` (name -> Ref value: parameters, pseudo
    parameters, resources) and `attributes` ("Logical.Attr" -> value)."""

    def __init__(self, refs: Mapping[str, Any], attributes: Mapping[str, str]) -> None:
        from samtranslator.intrinsics.resolver import IntrinsicsResolver

        self._translator = IntrinsicsResolver({**refs, **attributes})
        self.attributes = dict(attributes)
        #: Dynamic references met so far, and the local value each got (one per reference,
        #: so every function sees the same "secret").
        self.generated: dict[str, str] = {}

    def value(self, raw: Any) -> Any:
        """`raw` with every intrinsic evaluated; Unresolved when one cannot be."""
        return self._finish(self._translator.resolve_parameter_refs(raw))

    def _finish(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._finish(item) for item in node]
        if isinstance(node, str):
            return DYNAMIC_REFERENCE.sub(self._generate, node)
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((name, argument),) = node.items()
            if name == "Fn::GetAtt":
                return self._get_att(argument)
            if name == "Fn::Sub":
                return self._finish(self._sub(argument))
            if name == "Fn::Join":
                separator, items = argument
                return str(separator).join(str(self._finish(i)) for i in self._finish(items))
            if name == "Fn::Select":
                index, items = argument
                return self._finish(items)[int(self._finish(index))]
            if name == "Ref" or name.startswith("Fn::"):
                raise Unresolved(f"{name}: {argument!r}")
        return {key: self._finish(item) for key, item in node.items()}

    def _get_att(self, argument: Any) -> str:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        key = ".".join(str(part) for part in argument)
        if key not in self.attributes:
            raise Unresolved(f"Fn::GetAtt {key} is known only in the cloud")
        return self.attributes[key]

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument
            for name, item in variables.items():
                text = text.replace("${" + name + "}", str(self._finish(item)))
        else:
            text = argument
        left = re.findall(r"\$\{(?!!)([^}]+)\}", text)
        if left:
            raise Unresolved(f"Fn::Sub: ${{{left[0]}}} is known only in the cloud")
        return str(text).replace("${!", "${")

    def _generate(self, match: re.Match[str]) -> str:
        reference = match.group(0)
        if reference not in self.generated:
            self.generated[reference] = secrets.token_urlsafe(32)
        return self.generated[reference]


__all__ = ["ACCOUNT", "DYNAMIC_REFERENCE", "Resolver", "Unresolved", "pseudo_parameters"]
