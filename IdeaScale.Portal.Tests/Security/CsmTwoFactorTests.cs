using System.Security.Claims;

using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Security;

public sealed class CsmTwoFactorTests
{
    [Fact]
    public async Task CustomerSuccessPolicy_RequiredAndCsmWithoutTwoFactor_FailsOnlyOnTwoFactor()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?> { ["Portal:RequireCsmTwoFactor"] = "true" });

        var result = await AuthorizeCsmAsync(factory);

        Assert.False(result.Succeeded);
        Assert.IsType<CsmTwoFactorRequirement>(Assert.Single(result.Failure!.FailedRequirements));
    }

    [Fact]
    public async Task CustomerSuccessPolicy_RequiredAndCsmEnrolled_Succeeds()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?> { ["Portal:RequireCsmTwoFactor"] = "true" });
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var csm = (await users.FindByEmailAsync(DemoSeeder.CsmEmail))!;
            await users.ResetAuthenticatorKeyAsync(csm);
            await users.SetTwoFactorEnabledAsync(csm, true);
        }

        var result = await AuthorizeCsmAsync(factory);

        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task CustomerSuccessPolicy_NotRequired_CsmWithoutTwoFactorSucceeds()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?> { ["Portal:RequireCsmTwoFactor"] = "false" });

        var result = await AuthorizeCsmAsync(factory);

        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task CustomerSuccessPolicy_DefaultInProduction_RequiresTwoFactor()
    {
        using var factory = new PortalFactory();
        using var production = factory.WithWebHostBuilder(b => b.UseEnvironment("Production"));

        var result = await AuthorizeAsync(production.Services, DemoSeeder.CsmEmail);

        Assert.False(result.Succeeded);
        Assert.IsType<CsmTwoFactorRequirement>(Assert.Single(result.Failure!.FailedRequirements));
    }

    [Fact]
    public async Task CustomerSuccessPolicy_DefaultInDevelopment_DoesNotRequireTwoFactor()
    {
        using var factory = new PortalFactory();
        using var development = factory.WithWebHostBuilder(b => b.UseEnvironment("Development"));

        var result = await AuthorizeAsync(development.Services, DemoSeeder.CsmEmail);

        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task CustomerSuccessPolicy_AdminWithoutRole_FailsOnRoleNotOnlyTwoFactor()
    {
        using var factory = new PortalFactory(null, new Dictionary<string, string?> { ["Portal:RequireCsmTwoFactor"] = "true" });

        var result = await AuthorizeAsync(factory, "admin@ides.example");

        Assert.False(result.Succeeded);
        Assert.Contains(result.Failure!.FailedRequirements, r => r is not CsmTwoFactorRequirement);
    }

    [Fact]
    public async Task ResultHandler_FailedOnlyOnTwoFactor_RedirectsToEnrolment()
    {
        var context = new DefaultHttpContext();
        var failure = AuthorizationFailure.Failed([new CsmTwoFactorRequirement()]);

        await new TwoFactorEnrolmentResultHandler().HandleAsync(
            _ => Task.CompletedTask, context, new AuthorizationPolicyBuilder().RequireAssertion(_ => false).Build(), PolicyAuthorizationResult.Forbid(failure));

        Assert.Equal(StatusCodes.Status302Found, context.Response.StatusCode);
        Assert.Equal("/Account/Manage/EnableAuthenticator", context.Response.Headers.Location.ToString());
    }

    [Fact]
    public async Task ResultHandler_FailedOnRole_FallsBackToAccessDenied()
    {
        var services = new ServiceCollection().AddLogging()
            .AddAuthentication(o => o.DefaultScheme = "cookie").AddCookie("cookie").Services.BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        var failure = AuthorizationFailure.Failed(
            [new CsmTwoFactorRequirement(), new Microsoft.AspNetCore.Authorization.Infrastructure.RolesAuthorizationRequirement(["CustomerSuccess"])]);

        await new TwoFactorEnrolmentResultHandler().HandleAsync(
            _ => Task.CompletedTask, context, new AuthorizationPolicyBuilder().RequireAssertion(_ => false).Build(), PolicyAuthorizationResult.Forbid(failure));

        Assert.Equal(StatusCodes.Status302Found, context.Response.StatusCode);
        Assert.Contains("AccessDenied", context.Response.Headers.Location.ToString(), StringComparison.Ordinal);
    }

    private static Task<AuthorizationResult> AuthorizeCsmAsync(PortalFactory factory) => AuthorizeAsync(factory.Services, DemoSeeder.CsmEmail);

    private static Task<AuthorizationResult> AuthorizeAsync(PortalFactory factory, string email) => AuthorizeAsync(factory.Services, email);

    private static async Task<AuthorizationResult> AuthorizeAsync(IServiceProvider services, string email)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<PortalUser>>();
        ClaimsPrincipal principal = await signIn.CreateUserPrincipalAsync((await users.FindByEmailAsync(email))!);
        return await scope.ServiceProvider.GetRequiredService<IAuthorizationService>().AuthorizeAsync(principal, null, Policies.CustomerSuccess);
    }
}
