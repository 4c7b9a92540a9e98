"""The reference todo backend: the GeekTime FaaS course's todo list, made stateless, on
Flask (`flask_app`) and FastAPI (`fastapi_app`), with the stateful original
(`stateful_app`) kept to show what breaks. See README.md."""
