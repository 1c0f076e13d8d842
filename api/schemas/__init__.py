"""marshmallow schemas: the data shapes of requests and responses, one module per resource."""
