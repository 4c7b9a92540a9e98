"""Tests of faasgi.state and the local DynamoDB it is tested against."""
