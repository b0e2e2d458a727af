using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Rules;

public class DeactivationTests
{
    [Fact]
    public void Thief_with_the_current_keys_cannot_deactivate()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        h.Reject(alice.Sign(new DeactivatePayload(), h.Seq(alice), alice.Current), ErrorCode.ThresholdNotMet);
        Assert.Equal(IdentityStatus.Active, h.Ledger.GetIdentity(alice.Id)!.Status);
    }

    [Fact]
    public void Deactivation_by_the_next_keys_rejects_every_later_transaction()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        h.Accept(alice.Sign(new DeactivatePayload(), h.Seq(alice), alice.Next));
        Assert.Equal(IdentityStatus.Deactivated, h.Ledger.GetIdentity(alice.Id)!.Status);

        h.Reject(alice.Sign(new RotationPayload(alice.ConfigAt(1)), h.Seq(alice), alice.Next), ErrorCode.Deactivated);
        h.Reject(alice.Sign(new SetAgentPolicyPayload("p", [], null), h.Seq(alice), alice.Current), ErrorCode.Deactivated);
    }
}
