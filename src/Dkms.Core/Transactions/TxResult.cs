namespace Dkms.Core.Transactions;

/// <summary>The outcome of checking or applying one transaction: a code and a message a person can read.</summary>
public readonly record struct TxResult(ErrorCode Code, string Message)
{
    public static readonly TxResult Success = new(ErrorCode.Ok, "");

    public bool IsOk => Code == ErrorCode.Ok;

    public static TxResult Fail(ErrorCode code, string message) => new(code, message);

    public override string ToString() => IsOk ? "Ok" : $"{Code}: {Message}";
}
