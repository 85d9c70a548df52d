using IdeaScale.Portal.Tests.Infrastructure;

namespace IdeaScale.Portal.Tests.Scim.Auth;

/// <summary>Authentication, host binding and gating read the request's workspace once (the load benchmark's finding).</summary>
public sealed class ScimWorkspaceLookupTests
{
    [Fact]
    public async Task Request_Authenticated_ReadsTheWorkspaceInOneQuery()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Information",
        });
        using var client = factory.Scim(PortalFactory.IdesToken, host: "ides.localhost");
        using (await client.GetAsync(new Uri("scim/v2/ServiceProviderConfig", UriKind.Relative)))
        {
        }

        var before = WorkspaceQueries(factory);
        using var response = await client.GetAsync(new Uri("scim/v2/ServiceProviderConfig", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, WorkspaceQueries(factory) - before);
    }

    private static int WorkspaceQueries(AccessFactory factory) =>
        factory.Logs.Lines.Count(l => l.Contains("Executed DbCommand", StringComparison.Ordinal) && l.Contains("FROM \"Workspaces\"", StringComparison.Ordinal));
}
