//! Creates the template's queues, topics, subscriptions and tables in the
//! AWS emulator (or any SQS/SNS/DynamoDB endpoint), named `<prefix><LogicalId>`,
//! and resolves the functions' environment against them. Idempotent.

use crate::template::{EnvValue, Template};
use anyhow::{anyhow, Context};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use shared::store::aws::AwsClients;
use std::collections::BTreeMap;

/// What each logical id resolves to locally: `!Ref` value and ARN.
#[derive(Clone, Debug, Default)]
pub struct LocalResources {
    pub refs: BTreeMap<String, String>,
    pub arns: BTreeMap<String, String>,
}

pub async fn provision_aws(template: &Template, aws: &AwsClients, prefix: &str) -> anyhow::Result<LocalResources> {
    let mut resources = LocalResources::default();

    // Dead-letter queues first: the queues that redrive to them need their ARNs.
    let mut queues = template.queues.clone();
    queues.sort_by_key(|q| q.redrive.is_some());
    for queue in &queues {
        let name = format!("{prefix}{}", queue.logical_id);
        let mut request = aws.sqs.create_queue().queue_name(&name);
        if let Some(timeout) = queue.visibility_timeout {
            request = request.attributes(QueueAttributeName::VisibilityTimeout, timeout.to_string());
        }
        if let Some((dlq, max_receive)) = &queue.redrive {
            let dlq_arn = resources
                .arns
                .get(dlq)
                .ok_or_else(|| anyhow!("{}: unknown dead-letter queue {dlq}", queue.logical_id))?;
            let policy = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive});
            request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
        }
        let url = request.send().await.with_context(|| format!("creating queue {name}"))?.queue_url.unwrap_or_default();
        let attributes = aws
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .with_context(|| format!("reading queue {name}"))?;
        let arn = attributes
            .attributes
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .ok_or_else(|| anyhow!("queue {name} has no ARN"))?;
        resources.refs.insert(queue.logical_id.clone(), url);
        resources.arns.insert(queue.logical_id.clone(), arn);
    }

    for topic in &template.topics {
        let name = format!("{prefix}{topic}");
        let arn = aws
            .sns
            .create_topic()
            .name(&name)
            .send()
            .await
            .with_context(|| format!("creating topic {name}"))?
            .topic_arn
            .unwrap_or_default();
        resources.refs.insert(topic.clone(), arn.clone());
        resources.arns.insert(topic.clone(), arn);
    }

    for subscription in &template.subscriptions {
        let topic_arn = &resources.refs[&subscription.topic];
        let queue_arn = &resources.arns[&subscription.queue];
        let existing = aws.sns.list_subscriptions_by_topic().topic_arn(topic_arn).send().await?;
        let already = existing.subscriptions().iter().any(|s| s.endpoint() == Some(queue_arn.as_str()));
        if !already {
            aws.sns
                .subscribe()
                .topic_arn(topic_arn)
                .protocol("sqs")
                .endpoint(queue_arn)
                .attributes("RawMessageDelivery", subscription.raw.to_string())
                .send()
                .await
                .with_context(|| format!("subscribing {} to {}", subscription.queue, subscription.topic))?;
        }
    }

    for table in &template.tables {
        let name = format!("{prefix}{}", table.logical_id);
        let mut request = aws.dynamodb.create_table().table_name(&name).billing_mode(BillingMode::PayPerRequest);
        for (attribute, kind) in &table.attributes {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute)
                    .attribute_type(ScalarAttributeType::from(kind.as_str()))
                    .build()?,
            );
        }
        for (attribute, kind) in &table.keys {
            request = request.key_schema(
                KeySchemaElement::builder().attribute_name(attribute).key_type(KeyType::from(kind.as_str())).build()?,
            );
        }
        match request.send().await {
            Ok(_) => {
                if let Some(ttl) = &table.ttl_attribute {
                    aws.dynamodb
                        .update_time_to_live()
                        .table_name(&name)
                        .time_to_live_specification(
                            TimeToLiveSpecification::builder().attribute_name(ttl).enabled(true).build()?,
                        )
                        .send()
                        .await
                        .with_context(|| format!("enabling TTL on {name}"))?;
                }
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => {}
            Err(e) => return Err(anyhow!("creating table {name}: {e:?}")),
        }
        resources.refs.insert(table.logical_id.clone(), name);
    }

    let secrets = crate::secrets::provision_secrets(template, aws, prefix, |k| std::env::var(k).ok()).await?;
    for (logical_id, arn) in secrets {
        resources.arns.insert(logical_id.clone(), arn.clone());
        resources.refs.insert(logical_id, arn);
    }
    Ok(resources)
}

/// The functions' environment as it would be in AWS: `!Ref` of a resource
/// becomes the local resource, `!Ref`/`!Sub` of parameters use their
/// defaults; values that cannot exist locally (Secrets Manager references)
/// are left out, to be supplied by the process environment, which always wins.
pub fn resolve_environment(
    template: &Template,
    resources: &LocalResources,
    process_env: impl Fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    let lookup = |name: &str| -> Option<String> {
        resources.refs.get(name).cloned().or_else(|| template.parameters.get(name).cloned()).or_else(|| match name {
            "AWS::Region" => Some(process_env("AWS_REGION").unwrap_or_else(|| "ap-south-1".into())),
            "AWS::StackName" => Some("flightbook-local".into()),
            _ => None,
        })
    };
    let mut env = BTreeMap::new();
    for (name, value) in &template.environment {
        let resolved = match value {
            EnvValue::Literal(v) => Some(v.clone()),
            EnvValue::Ref(target) => lookup(target),
            EnvValue::Sub(text) if text.contains("{{resolve:") => None,
            EnvValue::Sub(text) => substitute(text, &lookup),
        };
        if let Some(v) = process_env(name).or(resolved) {
            env.insert(name.clone(), v);
        }
    }
    strip_secret_passwords(&mut env);
    env
}

/// Where a URL's credentials are in Secrets Manager, the functions get the
/// URL without its password (as the template gives it in AWS).
pub fn strip_secret_passwords(env: &mut BTreeMap<String, String>) {
    for (url, secret) in [("DATABASE_URL", "DATABASE_SECRET_ID"), ("REDIS_URL", "REDIS_AUTH_SECRET_ID")] {
        if env.get(secret).is_some_and(|id| !id.trim().is_empty()) {
            if let Some(value) = env.get_mut(url) {
                *value = crate::secrets::without_password(value);
            }
        }
    }
}

/// One `NAME=value` line of an env file as `cargo lambda watch --env-file`
/// reads it: a value with anything but plain characters is quoted (its
/// parser refuses a bare `=` in a value, which every URL with two query
/// parameters has). Single quotes keep the value literal; a value holding
/// one is double-quoted with `\`, `"` and `$` escaped.
pub fn env_file_line(name: &str, value: &str) -> String {
    let plain = value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.,:/@+".contains(c));
    if plain {
        format!("{name}={value}\n")
    } else if !value.contains('\'') {
        format!("{name}='{value}'\n")
    } else {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$");
        format!("{name}=\"{escaped}\"\n")
    }
}

fn substitute(text: &str, lookup: &impl Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}')? + start;
        out.push_str(&lookup(&rest[start + 2..end])?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_lines_quote_what_the_lambda_watch_parser_refuses() {
        assert_eq!(env_file_line("STAGE", "dev"), "STAGE=dev\n");
        assert_eq!(
            env_file_line("DATABASE_URL", "postgres://u@h:1/db?sslmode=verify-full&sslrootcert=/ca.pem"),
            "DATABASE_URL='postgres://u@h:1/db?sslmode=verify-full&sslrootcert=/ca.pem'\n"
        );
        assert_eq!(env_file_line("X", "it's $HOME"), "X=\"it's \\$HOME\"\n");
    }

    #[test]
    fn resolves_refs_subs_and_lets_the_process_env_win() {
        let template = Template::parse(
            r#"
Parameters:
  Stage: { Type: String, Default: dev }
Globals:
  Function:
    Environment:
      Variables:
        QUEUE: !Ref Q
        PREFIX: !Sub "fb-${Stage}"
        SECRET: !Sub "{{resolve:secretsmanager:${Stage}:SecretString}}"
        LITERAL: "3"
        OVERRIDDEN: x
Resources: {}
"#,
        )
        .unwrap();
        let mut resources = LocalResources::default();
        resources.refs.insert("Q".into(), "http://q".into());
        let env = resolve_environment(&template, &resources, |k| (k == "OVERRIDDEN").then(|| "y".into()));
        assert_eq!(env["QUEUE"], "http://q");
        assert_eq!(env["PREFIX"], "fb-dev");
        assert_eq!(env["LITERAL"], "3");
        assert_eq!(env["OVERRIDDEN"], "y");
        assert!(!env.contains_key("SECRET"));
    }
}
