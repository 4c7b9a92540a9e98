"""A REST TOKEN authorizer for the template tests: "allow-NAME" is let through with NAME
in its context, "deny" gets a Deny policy, "unauthorized" raises Unauthorized. `calls`
counts this instance's invocations, so a test sees the cache."""

calls = 0


def handler(event, context):
    global calls
    calls += 1
    token = event["authorizationToken"]
    if token == "unauthorized":
        raise Exception("Unauthorized")
    effect = "Allow" if token.startswith("allow-") else "Deny"
    return {
        "principalId": token,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
            ],
        },
        "context": {"user": token.removeprefix("allow-"), "calls": calls},
    }
