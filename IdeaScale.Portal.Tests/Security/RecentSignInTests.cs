using System.Globalization;
using System.Security.Claims;

using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IdeaScale.Portal.Tests.Security;

public sealed class RecentSignInTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static RecentSignIn Create(int minutes = 15) =>
        new(new FakeTimeProvider(Now), Options.Create(new RecentSignInOptions { RecentSignInMinutes = minutes }));

    private static ClaimsPrincipal SignedInAt(DateTimeOffset? at) => new(new ClaimsIdentity(
        at is { } t ? [new Claim(RecentSignIn.AuthTimeClaim, t.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture))] : [],
        "Identity.Application"));

    [Fact]
    public void IsRecent_SignedInWithinWindow_ReturnsTrue() =>
        Assert.True(Create().IsRecent(SignedInAt(Now.AddMinutes(-14))));

    [Fact]
    public void IsRecent_SignedInBeforeWindow_ReturnsFalse() =>
        Assert.False(Create().IsRecent(SignedInAt(Now.AddMinutes(-16))));

    [Fact]
    public void IsRecent_ConfiguredWindow_IsHonoured() =>
        Assert.True(Create(minutes: 60).IsRecent(SignedInAt(Now.AddMinutes(-45))));

    [Fact]
    public void Require_NoAuthTimeClaim_Throws() =>
        Assert.Throws<ReauthenticationRequiredException>(() => Create().Require(SignedInAt(null)));
}
