"""Request and response bodies: the public contract, as explicit msgspec Structs."""
