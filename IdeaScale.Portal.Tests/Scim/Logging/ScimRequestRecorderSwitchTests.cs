using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Scim.Logging;

/// <summary>Scim:ProvisioningLog:Enabled and Scim:LastUse:Enabled (the load benchmark's overhead switches).</summary>
public sealed class ScimRequestRecorderSwitchTests
{
    [Fact]
    public async Task Request_ProvisioningLogDisabled_WritesNoRowButTracksLastUse()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?> { ["Scim:ProvisioningLog:Enabled"] = "false" });
        using var client = factory.Scim(PortalFactory.IdesToken);
        await client.GetAsync(new Uri("scim/v2/Users", UriKind.Relative));

        await factory.FlushAsync();
        Assert.DoesNotContain(await factory.EventsAsync(), e => e.ActorKind == ActorKind.IdentityProvider);
        Assert.NotNull((await CredentialAsync(factory)).LastUsedAt);
    }

    [Fact]
    public async Task Request_LastUseDisabled_WritesLogRowButNoLastUse()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?> { ["Scim:LastUse:Enabled"] = "false" });
        using var client = factory.Scim(PortalFactory.IdesToken);
        await client.GetAsync(new Uri("scim/v2/Users", UriKind.Relative));

        await factory.FlushAsync();
        Assert.Single(await factory.EventsAsync(), e => e.ActorKind == ActorKind.IdentityProvider);
        Assert.Null((await CredentialAsync(factory)).LastUsedAt);
    }

    private static Task<ScimCredential> CredentialAsync(AccessFactory factory) =>
        factory.WithDbAsync(db => db.ScimCredentials.AsNoTracking().SingleAsync(c => c.Settings!.Workspace!.Slug == "ides"));
}
