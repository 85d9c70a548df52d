using System.Net;

using IdeaScale.Portal.Components.Account;
using IdeaScale.Portal.Tests.Infrastructure;

namespace IdeaScale.Portal.Tests.Components.Account;

/// <summary>Return URLs from the query string or a form never lead off the app, nor to an error (issue 11, item 2).</summary>
public sealed class ReturnUrlTests
{
    public static TheoryData<string> External =>
    [
        "https://evil.example/",
        "http://evil.example/Account/Manage",
        "//evil.example",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "https:evil.example",
    ];

    private static Uri Resolved(HttpResponseMessage response) => new(new Uri("http://localhost/"), response.Headers.Location!);

    [Theory]
    [MemberData(nameof(External))]
    public async Task Login_ExternalReturnUrl_SignsInAndRedirectsHome(string returnUrl)
    {
        using var factory = new PortalFactory();
        using var client = FormSignIn.NewClient(factory);

        var response = await FormSignIn.PostFormAsync(client, "/Account/Login?ReturnUrl=" + Uri.EscapeDataString(returnUrl), "login",
            new() { ["Input.Email"] = "admin@ides.example", ["Input.Password"] = PortalFactory.AdminPassword });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var target = Resolved(response);
        Assert.Equal("localhost", target.Host);
        Assert.Equal("/", target.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Manage")).StatusCode);
    }

    [Fact]
    public async Task Login_LocalReturnUrl_IsFollowed()
    {
        using var factory = new PortalFactory();
        using var client = FormSignIn.NewClient(factory);

        var response = await FormSignIn.PostFormAsync(client, "/Account/Login?ReturnUrl=" + Uri.EscapeDataString("/Account/Manage?x=1"), "login",
            new() { ["Input.Email"] = "admin@ides.example", ["Input.Password"] = PortalFactory.AdminPassword });

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/Account/Manage?x=1", Resolved(response).PathAndQuery);
    }

    [Theory]
    [MemberData(nameof(External))]
    public async Task Logout_ExternalReturnUrl_SignsOutAndRedirectsHome(string returnUrl)
    {
        using var factory = new PortalFactory();
        using var client = await FormSignIn.SignedInClientAsync(factory, "admin@ides.example", PortalFactory.AdminPassword);

        var response = await FormSignIn.SignOutAsync(client, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var target = Resolved(response);
        Assert.Equal("localhost", target.Host);
        Assert.Equal("/", target.AbsolutePath);
    }

    [Theory]
    [InlineData("Account/Manage", "Account/Manage")]
    [InlineData("/workspaces/ides/manage/members?page=2#top", "workspaces/ides/manage/members?page=2#top")]
    [InlineData("http://portal.example/workspaces/ides", "workspaces/ides")]
    [InlineData("HTTP://PORTAL.EXAMPLE/x", "x")]
    [InlineData("/.//evil.example", "evil.example")]
    [InlineData("http://portal.example.evil.example/", "")]
    [InlineData("http://portal.example:8443/", "")]
    [InlineData("https://portal.example/", "")]
    [InlineData(null, "")]
    public void ToLocal_KeepsPagesOfTheAppOnly(string? uri, string expected) =>
        Assert.Equal(expected, IdentityRedirectManager.ToLocal(uri, "http://portal.example/"));
}
