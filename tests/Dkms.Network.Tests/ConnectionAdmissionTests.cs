using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Dkms.Network.Tests;

public sealed class ConnectionAdmissionTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly ConnectionAdmission _admission;

    public ConnectionAdmissionTests() => _admission = new ConnectionAdmission(_time);

    private static SourceAddress At(string ip) => SourceAddress.Of(IPAddress.Parse(ip));

    /// <summary>Sources 10.0.x.y, none of them a validator's.</summary>
    private static SourceAddress Other(int i) => At($"10.0.{i / 250}.{(i % 250) + 1}");

    [Fact]
    public void A_source_gets_its_few_pending_places_and_one_more_once_one_is_released()
    {
        var source = At("10.1.1.1");
        for (var i = 0; i < ConnectionAdmission.MaxPendingPerSource; i++) Assert.Equal(AdmissionVerdict.Accepted, _admission.Admit(source));

        Assert.Equal(AdmissionVerdict.TooManyPendingFromSource, _admission.Admit(source));
        Assert.Equal(AdmissionVerdict.Accepted, _admission.Admit(At("10.1.1.2")));
        _admission.Release(source);
        Assert.Equal(AdmissionVerdict.Accepted, _admission.Admit(source));
    }

    [Fact]
    public void A_source_opening_connections_too_fast_waits_for_its_bucket_to_refill()
    {
        var source = At("10.1.1.1");
        for (var i = 0; i < ConnectionAdmission.Burst; i++)
        {
            Assert.Equal(AdmissionVerdict.Accepted, _admission.Admit(source));
            _admission.Release(source); // handshakes that fail at once hold no place, but still cost a token
        }

        Assert.Equal(AdmissionVerdict.TooFastFromSource, _admission.Admit(source));
        _time.Advance(TimeSpan.FromSeconds(1 / ConnectionAdmission.RefillPerSecond));
        Assert.Equal(AdmissionVerdict.Accepted, _admission.Admit(source));
        Assert.Equal(AdmissionVerdict.TooFastFromSource, _admission.Admit(source));
    }

    [Fact]
    public void Many_sources_share_the_others_places_and_rate_and_a_validators_source_is_never_refused_by_them()
    {
        _admission.SetValidatorSources([IPAddress.Parse("192.0.2.7")]);
        var validator = At("192.0.2.7");

        // Fill the others' pending places from many sources.
        var i = 0;
        while (_admission.Admit(Other(i)) == AdmissionVerdict.Accepted) i++;
        Assert.Equal(ConnectionAdmission.MaxPending, i);
        Assert.Equal(AdmissionVerdict.TooManyPending, _admission.Admit(Other(i + 1)));
        Assert.Equal(AdmissionVerdict.Accepted, _admission.Admit(validator));

        // Free the places, then spend the others' rate from fresh sources.
        for (var j = 0; j < i; j++) _admission.Release(Other(j));
        _time.Advance(TimeSpan.FromMinutes(1));
        var spent = 0;
        AdmissionVerdict verdict;
        while ((verdict = _admission.Admit(Other(1000 + spent))) == AdmissionVerdict.Accepted)
        {
            _admission.Release(Other(1000 + spent));
            spent++;
        }

        Assert.Equal((AdmissionVerdict.TooFastOverall, ConnectionAdmission.OthersBurst), (verdict, spent));
        _admission.Release(validator);
        for (var k = 0; k < ConnectionAdmission.MaxPendingPerValidatorAtSource; k++)
        {
            Assert.Equal(AdmissionVerdict.Accepted, _admission.Admit(validator));
        }
    }

    [Fact]
    public void Several_validators_at_one_address_get_room_for_each()
    {
        _admission.SetValidatorSources([IPAddress.Loopback, IPAddress.Loopback, IPAddress.Loopback]);
        var loopback = At("127.0.0.1");
        for (var i = 0; i < 3 * ConnectionAdmission.MaxPendingPerValidatorAtSource; i++) Assert.Equal(AdmissionVerdict.Accepted, _admission.Admit(loopback));

        Assert.Equal(AdmissionVerdict.TooManyPendingFromSource, _admission.Admit(loopback));
    }

    [Fact]
    public void IPv6_addresses_of_one_64_prefix_are_one_source_and_a_mapped_IPv4_address_is_its_IPv4_source()
    {
        Assert.Equal(At("2001:db8:1:2::1"), At("2001:db8:1:2:ffff::9"));
        Assert.NotEqual(At("2001:db8:1:2::1"), At("2001:db8:1:3::1"));
        Assert.Equal(At("10.1.2.3"), At("::ffff:10.1.2.3"));
        Assert.Equal("2001:db8:1:2::/64", At("2001:db8:1:2::1").ToString());
        Assert.Equal("10.1.2.3", At("10.1.2.3").ToString());

        for (var i = 0; i < ConnectionAdmission.MaxPendingPerSource; i++) Assert.Equal(AdmissionVerdict.Accepted, _admission.Admit(At($"2001:db8:1:2::{i + 1}")));
        Assert.Equal(AdmissionVerdict.TooManyPendingFromSource, _admission.Admit(At("2001:db8:1:2::abcd")));
    }
}
