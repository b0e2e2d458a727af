namespace Dkms.Core.Transactions;

/// <summary>Transaction types of SPEC §3. Numbers are the MessagePack union tags and never change.</summary>
public enum TxType : byte
{
    Inception = 1,
    Rotation = 2,
    AddKeyAgreementKey = 3,
    RevokeKey = 4,
    SetRecoveryPolicy = 5,
    RecoveryStart = 6,
    RecoveryCancel = 7,
    RecoveryFinalize = 8,
    Deactivate = 9,
    SetAgentPolicy = 10,
    /// <summary>Governance: replaces the validator set; authorized by more than 2/3 of the current voting power.</summary>
    SetValidators = 11,
}
