// The DKMS state machine: validation rules, state layout, authenticated state and block execution.
