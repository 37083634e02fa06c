"""The customer pages under /customers/: list and search customers, contacts and group chats,
view one with who serves it, its chats and its tickets (with OLA state), and edit it."""
