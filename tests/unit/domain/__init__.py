"""Unit tests of storedesk.domain: pure logic, facts built directly, no mocks."""
