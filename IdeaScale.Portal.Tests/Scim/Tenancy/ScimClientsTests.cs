using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Tenancy;

using Microsoft.AspNetCore.Http;

namespace IdeaScale.Portal.Tests.Scim.Tenancy;

public sealed class ScimClientsTests
{
    [Theory]
    [InlineData("Azure AD SCIM Provisioning/1.0", null, ScimClients.EntraId)]
    [InlineData("", "2.0", ScimClients.EntraId)]
    [InlineData("Okta SCIM Client 1.0.0", null, ScimClients.Okta)]
    [InlineData("Okta/2024.01 (SCIM)", null, ScimClients.Okta)]
    [InlineData("OneLogin-SCIM/1.0", null, "OneLogin-SCIM/1.0")]
    [InlineData("", null, null)]
    public void Describe_RecognisesEntraAndOktaAndKeepsOtherAgents(string userAgent, string? adScimVersion, string? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.UserAgent = userAgent;
        if (adScimVersion is not null)
        {
            context.Request.Headers["Adscimversion"] = adScimVersion;
        }

        Assert.Equal(expected, ScimClients.Describe(context.Request));
    }

    [Theory]
    [InlineData("GET", "/scim/v2/Users", 200, "User", null, ProvisioningOperation.List)]
    [InlineData("GET", "/scim/v2/Users/abc", 200, "User", "abc", ProvisioningOperation.Read)]
    [InlineData("POST", "/scim/v2/Users/.search", 200, "User", null, ProvisioningOperation.List)]
    [InlineData("POST", "/scim/v2/.search", 200, null, null, ProvisioningOperation.List)]
    [InlineData("POST", "/scim/v2/Groups", 400, "Group", null, ProvisioningOperation.Create)]
    [InlineData("PATCH", "/scim/v2/Groups/g1", 400, "Group", "g1", ProvisioningOperation.Update)]
    [InlineData("DELETE", "/scim/v2/Users/u1", 404, "User", "u1", ProvisioningOperation.Delete)]
    [InlineData("GET", "/scim/v2/Schemas", 200, null, null, ProvisioningOperation.Discovery)]
    [InlineData("GET", "/scim/v2/Users", 401, "User", null, ProvisioningOperation.AuthenticationFailure)]
    public void Infer_NamesResourceAndOperationFromTheRoute(string method, string path, int status, string? type, string? id, ProvisioningOperation operation)
    {
        Assert.Equal((type, id, operation), ScimRequestRecorder.Infer(method, new PathString(path), status));
    }

    [Theory]
    [InlineData(200, false)]
    [InlineData(204, false)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(412, false)]
    [InlineData(400, true)]
    [InlineData(401, true)]
    [InlineData(403, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    public void IsFailure_CountsIntegrationProblemsNotOrdinaryProtocolAnswers(int status, bool failure) =>
        Assert.Equal(failure, ScimCredentialUsage.IsFailure(status));
}
