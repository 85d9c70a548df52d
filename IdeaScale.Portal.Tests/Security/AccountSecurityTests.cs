using System.Net;

using IdeaScale.Portal.Components.Account;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Security;

public sealed class AccountSecurityTests
{
    [Fact]
    public async Task Revalidate_AfterRoleRemoval_ReturnsFalse()
    {
        using var factory = new PortalFactory();
        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<PortalUser>>();
        var revalidating = Assert.IsType<IdentityRevalidatingAuthenticationStateProvider>(scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>());
        var csm = (await users.FindByEmailAsync(DemoSeeder.CsmEmail))!;
        var circuitState = new AuthenticationState(await signIn.CreateUserPrincipalAsync(csm));
        Assert.True(await revalidating.RevalidateAsync(circuitState, CancellationToken.None));
        var stampBefore = await users.GetSecurityStampAsync(csm);

        Assert.True((await users.RemoveFromRoleAsync(csm, Roles.CustomerSuccess)).Succeeded);

        Assert.NotEqual(stampBefore, await users.GetSecurityStampAsync(csm));
        Assert.False(await revalidating.RevalidateAsync(circuitState, CancellationToken.None));
    }

    [Fact]
    public async Task RevalidationInterval_FromConfiguration_IsUsed()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?> { ["Portal:RevalidationMinutes"] = "5" });
        await using var scope = factory.Services.CreateAsyncScope();

        var revalidating = Assert.IsType<IdentityRevalidatingAuthenticationStateProvider>(scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>());

        Assert.Equal(TimeSpan.FromMinutes(5), revalidating.Interval);
    }

    [Fact]
    public async Task ChangePassword_WithCurrentPassword_NewPasswordSignsInAndOldDoesNot()
    {
        using var factory = new PortalFactory();
        const string newPassword = "Changed-Pass-99!";
        using (var client = await FormSignIn.SignedInClientAsync(factory, "admin@nosso.example", PortalFactory.AdminPassword))
        {
            var response = await FormSignIn.PostFormAsync(client, "/Account/Manage/ChangePassword", "change-password", new()
            {
                ["Input.OldPassword"] = PortalFactory.AdminPassword,
                ["Input.NewPassword"] = newPassword,
                ["Input.ConfirmPassword"] = newPassword,
            });
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        }

        using (var fresh = FormSignIn.NewClient(factory))
        {
            var old = await FormSignIn.PostFormAsync(fresh, "/Account/Login", "login", new() { ["Input.Email"] = "admin@nosso.example", ["Input.Password"] = PortalFactory.AdminPassword });
            Assert.NotEqual(HttpStatusCode.Redirect, old.StatusCode);
            Assert.Contains("Invalid login attempt", await old.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var signedIn = await FormSignIn.SignedInClientAsync(factory, "admin@nosso.example", newPassword);
        Assert.Equal(HttpStatusCode.OK, (await signedIn.GetAsync("/Account/Manage")).StatusCode);
    }

    [Fact]
    public async Task EnableAuthenticator_SignedIn_ShowsQrCodeImageAndSharedKey()
    {
        using var factory = new PortalFactory();
        using var client = await FormSignIn.SignedInClientAsync(factory, "admin@nosso.example", PortalFactory.AdminPassword);

        var html = await client.GetStringAsync("/Account/Manage/EnableAuthenticator");

        Assert.Contains("src=\"data:image/png;base64,", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"authenticator-key\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("enable QR code generation", html, StringComparison.Ordinal);
    }
}
